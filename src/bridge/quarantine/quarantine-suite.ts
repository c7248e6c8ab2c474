/** The behaviour every QuarantineRecords must show, run against each backend (bridge-stores-*.test.ts). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  suiteTitle,
  type BridgeStoresUnderTest,
  type BridgeSuiteOptions,
  type OpenBridgeStores,
} from '../bridge-stores-harness.js';
import type { Finding } from '../normalize/index.js';
import type { QuarantineRecords } from './quarantine-store.js';

const A = '1.2.826.0.1.3680043.10.1089.22.8.1';
const B = '1.2.826.0.1.3680043.10.1089.22.8.2';

const missingId: Finding = {
  rule: 'patient-id',
  severity: 'error',
  tag: '00100020',
  original: '',
  message: 'Patient ID missing',
};
const fixedSex: Finding = {
  rule: 'patient-sex',
  severity: 'warning',
  tag: '00100040',
  original: 'X',
  corrected: 'O',
  message: 'Patient sex normalized',
  occurrences: 3,
  sopInstanceUid: `${A}.1.1`,
  source: { aeTitle: 'CT_SCANNER', station: 'CT1', manufacturer: 'ACME' },
};
const dateNote: Finding = {
  rule: 'date',
  severity: 'info',
  tag: '00080020',
  original: { raw: '2024-01-01', parts: [2024, 1, 1] },
  corrected: '20240101',
  message: 'Study date reformatted',
  source: { aeTitle: 'MR' },
};

export function quarantineSuite(backend: string, open: OpenBridgeStores, options: BridgeSuiteOptions = {}): void {
  describe.skipIf(options.skip !== undefined)(suiteTitle('QuarantineRecords', backend, options), () => {
    let stores: BridgeStoresUnderTest;
    let q: QuarantineRecords;
    beforeEach(async () => {
      stores = await open();
      q = stores.quarantine;
    });
    afterEach(async () => {
      await stores.close();
    });

    it('replaces a study’s findings with each sync’s, keeping every field and the order they came in', async () => {
      await q.recordFindings(A, [dateNote], 10);
      await q.recordFindings(A, [missingId, fixedSex, dateNote], 20);
      await q.recordFindings(B, [dateNote], 30);
      expect(await q.findings({ studyUid: A })).toEqual([
        { ...missingId, studyUid: A, recordedAt: 20 },
        { ...fixedSex, studyUid: A, recordedAt: 20 },
        { ...dateNote, studyUid: A, recordedAt: 20 },
      ]);
      await q.recordFindings(A, [], 40);
      expect(await q.findings({ studyUid: A })).toEqual([]);
      expect(await q.findings()).toEqual([{ ...dateNote, studyUid: B, recordedAt: 30 }]);
    });

    it('filters findings by severity and pages them', async () => {
      await q.recordFindings(A, [missingId, fixedSex, dateNote], 1);
      await q.recordFindings(B, [missingId], 2);
      expect((await q.findings({ severity: 'error' })).map((f) => f.studyUid)).toEqual([A, B]);
      expect((await q.findings({ severity: 'error', studyUid: B })).map((f) => f.rule)).toEqual(['patient-id']);
      expect((await q.findings({ limit: 2, offset: 1 })).map((f) => f.rule)).toEqual(['patient-sex', 'date']);
    });

    it('holds a study with its reasons, keeping the first hold’s time while it stays held', async () => {
      await q.hold(A, [missingId], 100);
      await q.hold(A, [missingId, fixedSex], 200);
      await q.hold(B, [missingId], 150);
      expect(await q.get(A)).toEqual({ studyUid: A, state: 'held', reasons: [missingId, fixedSex], heldAt: 100 });
      expect((await q.list('held')).map((e) => e.studyUid)).toEqual([A, B]);
      await q.clearHold(A);
      expect(await q.get(A)).toBeUndefined();
      expect(await q.get('1.2.3.4.5')).toBeUndefined();
    });

    it('releases a held study with who and why, and queues it in the outbox with the decision', async () => {
      await q.hold(A, [missingId], 100);
      expect(await q.release(A, 'dr-who', 'checked the ID', 300)).toBe(true);
      expect(await q.get(A)).toEqual({
        studyUid: A,
        state: 'released',
        reasons: [missingId],
        heldAt: 100,
        decidedAt: 300,
        decidedBy: 'dr-who',
        comment: 'checked the ID',
      });
      expect(await stores.outbox.get(A)).toMatchObject({ reason: 'released', changedAt: 300 });
      // The sync clears only a hold: the decision stays as the record.
      await q.clearHold(A);
      expect((await q.get(A))?.state).toBe('released');
      expect(await q.list('held')).toEqual([]);
      // Held again by a later sync: a new hold, from its own time.
      await q.hold(A, [missingId], 400);
      expect(await q.get(A)).toMatchObject({ state: 'held', heldAt: 400 });
    });

    it('rejects a held study (queued too); deciding on a study never held changes nothing', async () => {
      await q.hold(A, [missingId], 100);
      expect(await q.reject(A, 'dr-who', undefined, 300)).toBe(true);
      expect(await q.get(A)).toMatchObject({ state: 'rejected', decidedBy: 'dr-who' });
      expect(await q.get(A)).not.toHaveProperty('comment');
      expect(await stores.outbox.get(A)).toMatchObject({ reason: 'rejected' });
      expect(await q.release(B, 'dr-who', 'x', 300)).toBe(false);
      expect(await q.reject(B, 'dr-who', 'x', 300)).toBe(false);
      expect(await stores.outbox.get(B)).toBeUndefined();
      expect((await q.list()).map((e) => e.studyUid)).toEqual([A]);
    });
  });
}
