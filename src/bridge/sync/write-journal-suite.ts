/**
 * The behaviour every BridgeWriteJournal must show, and the sync worker's passes over the
 * outbox and journal, run against each backend (bridge-stores-*.test.ts).
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexRecord } from '../../archive/archive-index-suite.js';
import {
  suiteTitle,
  type BridgeStoresUnderTest,
  type BridgeSuiteOptions,
  type OpenBridgeStores,
} from '../bridge-stores-harness.js';
import { FhirServerError } from '../../fhir/client/index.js';
import type { Finding } from '../normalize/index.js';
import type { StudyResult } from './study-sync.js';
import { SyncWorker, type SyncEvent } from './sync-worker.js';

const A = '1.2.826.0.1.3680043.10.1089.22.9.1';
const B = '1.2.826.0.1.3680043.10.1089.22.9.2';
const C = '1.2.826.0.1.3680043.10.1089.22.9.3';
const note: Finding = { rule: 'date', severity: 'info', tag: '00080020', original: 'x', message: 'm' };

export function writeJournalSuite(backend: string, open: OpenBridgeStores, options: BridgeSuiteOptions = {}): void {
  describe.skipIf(options.skip !== undefined)(suiteTitle('BridgeWriteJournal', backend, options), () => {
    let stores: BridgeStoresUnderTest;
    beforeEach(async () => {
      stores = await open();
    });
    afterEach(async () => {
      await stores.close();
    });

    it('writes nothing until flushed, then everything collected from the outbox and the quarantine', async () => {
      const { outbox, quarantine } = stores;
      await outbox.enqueue(A, 'stored', 1);
      const journal = stores.journal();
      journal.add(() => outbox.complete(A, 1, 2));
      journal.add(() => outbox.record({ studyUid: A, outcome: 'written', fhirId: 'f', syncedAt: 2 }));
      journal.add(() => quarantine.recordFindings(A, [note], 2));
      journal.add(() => quarantine.hold(B, [note], 2));
      expect(journal.pending).toBe(4);
      expect(await outbox.get(A)).toBeDefined();
      expect(await outbox.lastSync(A)).toBeUndefined();
      await journal.flush();
      expect(journal.pending).toBe(0);
      expect(await outbox.get(A)).toBeUndefined();
      expect(await outbox.lastSync(A)).toMatchObject({ outcome: 'written', fhirId: 'f' });
      expect(await quarantine.findings({ studyUid: A })).toHaveLength(1);
      expect((await quarantine.get(B))?.state).toBe('held');
      await journal.flush();
    });

    it('tries each write alone when the batch fails: the failing one is reported and dropped, the others kept', async () => {
      const { outbox } = stores;
      const errors: number[] = [];
      const journal = stores.journal({ onError: (_e, ops) => errors.push(ops) });
      journal.add(() => outbox.record({ studyUid: A, outcome: 'written', syncedAt: 1 }));
      journal.add(() => {
        throw new Error('this write fails');
      });
      // A write the database refuses (NOT NULL): on PostgreSQL it aborts the whole transaction.
      journal.add(() => outbox.record({ studyUid: B, outcome: null as unknown as string, syncedAt: 1 }));
      journal.add(() => outbox.record({ studyUid: C, outcome: 'unchanged', syncedAt: 1 }));
      await journal.flush();
      expect(errors).toEqual([4, 1, 1]);
      expect(await outbox.lastSync(A)).toMatchObject({ outcome: 'written' });
      expect(await outbox.lastSync(B)).toBeUndefined();
      expect(await outbox.lastSync(C)).toMatchObject({ outcome: 'unchanged' });
    });

    it('runs the sync worker: studies the index queued are synced in a pass, recorded, retried or parked', async () => {
      const { outbox, index } = stores;
      for (const [n, study] of [A, B, C].entries())
        await index.commit([
          { record: indexRecord({ sop: `${study}.1.1`, instanceNumber: n, study }), replaces: null },
        ]);
      const seen: SyncEvent[] = [];
      let calls = 0;
      const sync = async (uids: string[]): Promise<StudyResult[]> =>
        uids.map((studyUid) => {
          calls++;
          if (studyUid === B && calls < 4) return { studyUid, error: serverError(503) };
          if (studyUid === C) return { studyUid, error: serverError(400) };
          return { studyUid, outcome: { kind: 'written', id: `id-${studyUid.slice(-1)}`, instances: 1 } };
        });
      const journal = stores.journal();
      const timings = {
        debounceMs: 0,
        maxDelayMs: 0,
        minIntervalMs: 0,
        pollMs: 5,
        concurrency: 3,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 2,
      };
      const worker = new SyncWorker(outbox, sync, timings, pino({ level: 'silent' }), { writes: journal });
      const done = new Promise<void>((resolve) =>
        worker.onSync((e) => {
          seen.push(e);
          if (e.studyUid === B && e.outcome) resolve();
        }),
      );
      worker.start();
      await done;
      await worker.stop();
      expect(await outbox.get(A)).toBeUndefined();
      expect(await outbox.get(B)).toBeUndefined();
      expect(await outbox.lastSync(A)).toMatchObject({ outcome: 'written', fhirId: 'id-1', instances: 1 });
      expect(await outbox.lastSync(B)).toMatchObject({ outcome: 'written', fhirId: 'id-2' });
      expect(await outbox.dead()).toMatchObject([
        { studyUid: C, dead: true, lastError: expect.stringContaining('400') },
      ]);
      expect(seen.filter((e) => e.studyUid === B && e.transient)).not.toHaveLength(0);
      expect(seen.filter((e) => e.studyUid === C)).toHaveLength(1);
    });
  });
}

function serverError(status: number): FhirServerError {
  const outcome = {
    resourceType: 'OperationOutcome' as const,
    issue: [{ severity: 'error' as const, code: 'exception' }],
  };
  return new FhirServerError(status, outcome, 'create ImagingStudy', 1);
}
