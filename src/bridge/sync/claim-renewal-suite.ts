/**
 * Two sync workers (two instances) on one database with a claim time far shorter than their
 * passes (claim-renewal.ts), run against each backend (bridge-stores-*.test.ts): the pass keeps
 * its claims while it syncs, so each study is written once; a pass whose claim was taken anyway
 * commits nothing for that study.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  suiteTitle,
  type BridgeStoresUnderTest,
  type BridgeSuiteOptions,
  type OpenBridgeStores,
} from '../bridge-stores-harness.js';
import type { Finding } from '../normalize/index.js';
import type { StudyResult } from './study-sync.js';
import { SyncWorker, type BatchSync, type SyncEvent, type SyncTimings } from './sync-worker.js';

const CLAIM_MS = 200;
const TIMINGS: SyncTimings = {
  debounceMs: 0,
  maxDelayMs: 0,
  minIntervalMs: 0,
  pollMs: 10,
  concurrency: 2,
  batchSize: 2,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 5,
};
const silent = pino({ level: 'silent' });
const uid = (n: number) => `1.2.826.0.1.3680043.10.1089.22.15.${n}`;

/** Where the passes write each study, `delayMs` per write: every write counted, a version per write. */
class SlowWrites {
  readonly versions = new Map<string, number>();
  constructor(private readonly delayMs: number) {}

  readonly sync: BatchSync = async (uids) => {
    const out: StudyResult[] = [];
    for (const studyUid of uids) {
      await sleep(this.delayMs);
      const version = (this.versions.get(studyUid) ?? 0) + 1;
      this.versions.set(studyUid, version);
      out.push({ studyUid, outcome: { kind: 'written', id: studyUid, versionId: String(version), instances: 1 } });
    }
    return out;
  };
}

export function claimRenewalSuite(backend: string, open: OpenBridgeStores, options: BridgeSuiteOptions = {}): void {
  describe.skipIf(options.skip !== undefined)(
    suiteTitle('Outbox claims renewed by the sync worker', backend, options),
    () => {
      let stores: BridgeStoresUnderTest;
      const workers: SyncWorker[] = [];
      beforeEach(async () => {
        stores = await open();
      });
      afterEach(async () => {
        await Promise.all(workers.splice(0).map((w) => w.stop()));
        await stores.close();
      });

      it(`two instances, passes of 2 × 500 ms against a ${CLAIM_MS} ms claim: each study written once, none left`, async () => {
        const studies = Array.from({ length: 6 }, (_, n) => uid(n));
        for (const [n, study] of studies.entries()) await stores.outbox.enqueue(study, 'stored', 1000 + n);
        const fhir = new SlowWrites(500);
        const events: SyncEvent[] = [];
        for (let i = 0; i < 2; i++) {
          const worker = new SyncWorker(await stores.claiming(CLAIM_MS), fhir.sync, TIMINGS, silent, {
            writes: stores.journal(),
            overlapCommit: i === 1,
          });
          worker.onSync((e) => events.push(e));
          workers.push(worker);
          worker.start();
        }
        await expect
          .poll(async () => (await stores.outbox.pending()).length, { timeout: 20_000, interval: 50 })
          .toBe(0);
        // Past several claim times with nothing due: no pass runs again.
        await sleep(3 * CLAIM_MS);
        await Promise.all(workers.map((w) => w.stop()));
        expect([...fhir.versions.keys()].sort()).toEqual([...studies].sort());
        expect([...fhir.versions.values()]).toEqual(studies.map(() => 1));
        expect(events.map((e) => e.studyUid).sort()).toEqual([...studies].sort());
        for (const study of studies)
          expect(await stores.outbox.lastSync(study)).toMatchObject({ outcome: 'written', versionId: '1' });
        expect(await stores.outbox.counts()).toEqual({ pending: 0, retrying: 0, dead: 0 });
      });

      it('a pass whose claim another instance took commits nothing for that study: the other one records it', async () => {
        const [a, b] = [uid(10), uid(11)];
        await stores.outbox.enqueue(a, 'stored', 1000);
        await stores.outbox.enqueue(b, 'stored', 1001);
        const one = await stores.claiming(CLAIM_MS);
        const two = await stores.claiming(CLAIM_MS);
        let release = (): void => undefined;
        const started = new Promise<void>((resolve) => {
          const held: BatchSync = (batch) => {
            resolve();
            const results = batch.map(
              (studyUid): StudyResult => ({ studyUid, outcome: { kind: 'written', id: studyUid, instances: 1 } }),
            );
            return new Promise((done) => {
              release = () => done(results);
            });
          };
          workers.push(new SyncWorker(one, held, TIMINGS, silent, { writes: stores.journal() }));
        });
        const seen: SyncEvent[] = [];
        workers[0]!.onSync((e) => seen.push(e));
        workers[0]!.start();
        await started;
        // Past several renewals, the study is still `one`'s: nobody else can take it.
        await sleep(2 * CLAIM_MS);
        expect(await two.claimOne(a, Date.now())).toBeUndefined();
        // A clock more than a claim time ahead (as after a claim ran out) takes study a from `one`.
        const taken = await two.claimOne(a, Date.now() + 10 * CLAIM_MS);
        expect(taken).toMatchObject({ studyUid: a });
        release();
        await expect.poll(() => seen.map((e) => e.studyUid), { timeout: 5000 }).toEqual([b]);
        await workers[0]!.stop();
        // b committed by `one`; a left as `two` claimed it, its result not recorded by `one`.
        expect(await stores.outbox.get(b)).toBeUndefined();
        expect(await stores.outbox.lastSync(b)).toMatchObject({ outcome: 'written' });
        expect(await stores.outbox.lastSync(a)).toBeUndefined();
        expect(await two.holdClaims([{ studyUid: a, until: taken!.claimedUntil! }])).toEqual([a]);
        await two.complete(a, taken!.seq);
        expect(await stores.outbox.get(a)).toBeUndefined();
      });

      it("a pass whose claim another instance took commits none of the sync's own writes for that study (findings, hold)", async () => {
        const [a, b] = [uid(20), uid(21)];
        await stores.outbox.enqueue(a, 'stored', 1000);
        await stores.outbox.enqueue(b, 'stored', 1001);
        const one = await stores.claiming(CLAIM_MS);
        const two = await stores.claiming(CLAIM_MS);
        const reason: Finding = {
          rule: 'patient-id',
          severity: 'error',
          tag: '00100020',
          original: '',
          message: 'no id',
        };
        let release = (): void => undefined;
        let started = (): void => undefined;
        const running = new Promise<void>((resolve) => {
          started = resolve;
        });
        // As StudySync does: the study's findings and hold through the worker's studyWrites during the sync.
        const held: BatchSync = (batch) => {
          for (const studyUid of batch) {
            worker.studyWrites.add(() => stores.quarantine.recordFindings(studyUid, [reason], 5), studyUid);
            worker.studyWrites.add(() => stores.quarantine.hold(studyUid, [reason], 5), studyUid);
          }
          started();
          const results = batch.map(
            (studyUid): StudyResult => ({ studyUid, outcome: { kind: 'quarantined', reasons: [reason] } }),
          );
          return new Promise((done) => {
            release = () => done(results);
          });
        };
        const worker: SyncWorker = new SyncWorker(one, held, TIMINGS, silent, { writes: stores.journal() });
        workers.push(worker);
        const seen: SyncEvent[] = [];
        worker.onSync((e) => seen.push(e));
        worker.start();
        await running;
        // A clock more than a claim time ahead (as after a claim ran out) takes study a from `one`.
        const taken = await two.claimOne(a, Date.now() + 10 * CLAIM_MS);
        expect(taken).toMatchObject({ studyUid: a });
        release();
        await expect.poll(() => seen.map((e) => e.studyUid), { timeout: 5000 }).toEqual([b]);
        await worker.stop();
        // b: everything committed by `one`; a: nothing of `one`'s sync — `two` syncs and records it.
        expect(await stores.outbox.lastSync(b)).toMatchObject({ outcome: 'quarantined' });
        expect((await stores.quarantine.findings({ studyUid: b })).map((f) => f.rule)).toEqual(['patient-id']);
        expect(await stores.quarantine.get(b)).toMatchObject({ state: 'held' });
        expect(await stores.outbox.lastSync(a)).toBeUndefined();
        expect(await stores.quarantine.findings({ studyUid: a })).toEqual([]);
        expect(await stores.quarantine.get(a)).toBeUndefined();
        // A study no pass holds: its writes go to the journal, committed by its flush.
        worker.studyWrites.add(() => stores.quarantine.recordFindings(a, [reason], 6), a);
        await worker.studyWrites.flush();
        expect(await stores.quarantine.findings({ studyUid: a })).toHaveLength(1);
      });
    },
  );
}
