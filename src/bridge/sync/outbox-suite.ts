/** The behaviour every SyncOutbox must show, run against each backend (bridge-stores-*.test.ts). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexRecord } from '../../archive/archive-index-suite.js';
import {
  suiteTitle,
  type BridgeStoresUnderTest,
  type BridgeSuiteOptions,
  type OpenBridgeStores,
} from '../bridge-stores-harness.js';
import type { SyncOutbox } from './outbox.js';

const A = '1.2.826.0.1.3680043.10.1089.22.7.1';
const B = '1.2.826.0.1.3680043.10.1089.22.7.2';

export function outboxSuite(backend: string, open: OpenBridgeStores, options: BridgeSuiteOptions = {}): void {
  describe.skipIf(options.skip !== undefined)(suiteTitle('SyncOutbox', backend, options), () => {
    let stores: BridgeStoresUnderTest;
    let outbox: SyncOutbox;
    beforeEach(async () => {
      stores = await open();
      outbox = stores.outbox;
    });
    afterEach(async () => {
      await stores.close();
    });

    it('coalesces the changes of a study into one row and keeps it when a change comes in during its sync', async () => {
      for (let i = 0; i < 5; i++) await outbox.enqueue(A, 'stored', 1000 + i);
      const [row] = await outbox.due({ now: 2000, debounceMs: 100, maxDelayMs: 10_000, limit: 10 });
      expect(row).toMatchObject({ studyUid: A, seq: 5, firstChangedAt: 1000, changedAt: 1004, dead: false });
      await outbox.enqueue(A, 'deleted', 2001);
      await outbox.complete(A, row!.seq, 2002);
      expect(await outbox.get(A)).toMatchObject({ seq: 6, reason: 'deleted', firstChangedAt: 2002, attempts: 0 });
      await outbox.complete(A, 6, 2003);
      expect(await outbox.get(A)).toBeUndefined();
    });

    it('is due after the debounce since the last change, or maxDelay since the first; oldest first, up to the limit', async () => {
      await outbox.enqueue(A, 'stored', 1000);
      await outbox.enqueue(A, 'stored', 1900);
      await outbox.enqueue(B, 'stored', 500);
      const q = { debounceMs: 300, maxDelayMs: 1500, limit: 10 };
      expect((await outbox.due({ ...q, now: 1000 })).map((r) => r.studyUid)).toEqual([B]);
      expect(await outbox.due({ ...q, now: 1999 })).toHaveLength(1);
      expect((await outbox.due({ ...q, now: 2200 })).map((r) => r.studyUid)).toEqual([B, A]);
      expect((await outbox.due({ ...q, now: 2200, limit: 1 })).map((r) => r.studyUid)).toEqual([B]);
      await outbox.enqueue(A, 'stored', 2450);
      expect(await outbox.due({ ...q, now: 2500 })).toHaveLength(2);
    });

    it('says when the next study becomes due: the end of its debounce, of its maxDelay, or its next attempt, whichever applies; none for dead or excluded rows', async () => {
      const q = { debounceMs: 300, maxDelayMs: 1500 };
      expect(await outbox.nextDueAt(q)).toBeUndefined();
      await outbox.enqueue(A, 'stored', 1000);
      await outbox.enqueue(A, 'stored', 1900);
      // Debouncing until 2200, but changing since 1000: maxDelay ends at 2500 — the debounce is sooner.
      expect(await outbox.nextDueAt(q)).toBe(2200);
      await outbox.enqueue(A, 'stored', 2400);
      expect(await outbox.nextDueAt(q)).toBe(2500);
      await outbox.enqueue(B, 'stored', 2000);
      expect(await outbox.nextDueAt(q)).toBe(2300);
      expect(await outbox.nextDueAt({ ...q, exclude: [B] })).toBe(2500);
      // A retry waits for its attempt, whatever its debounce.
      await outbox.retryLater(B, 9000, 'target down');
      expect(await outbox.nextDueAt({ ...q, exclude: [A] })).toBe(9000);
      await outbox.park(B, 1, 'bad');
      expect(await outbox.nextDueAt({ ...q, exclude: [A] })).toBeUndefined();
    });

    it('leaves the excluded studies out before the limit (the caller’s syncs in flight)', async () => {
      for (const [n, uid] of [A, B].entries()) await outbox.enqueue(uid, 'stored', 1000 + n);
      const q = { now: 2000, debounceMs: 0, maxDelayMs: 0, limit: 1 };
      expect((await outbox.due({ ...q, exclude: [A] })).map((r) => r.studyUid)).toEqual([B]);
      expect(await outbox.due({ ...q, exclude: [A, B] })).toEqual([]);
      expect((await outbox.due({ ...q, exclude: [] })).map((r) => r.studyUid)).toHaveLength(1);
    });

    it('hands one study to a sync asked for now, whatever its debounce (without a claim time: as get)', async () => {
      await outbox.enqueue(A, 'released', 1000);
      expect(await outbox.due({ now: 1001, debounceMs: 60_000, maxDelayMs: 60_000, limit: 10 })).toEqual([]);
      expect(await outbox.claimOne(A, 1001)).toMatchObject({ studyUid: A, reason: 'released', seq: 1 });
      expect(await outbox.claimOne(B, 1001)).toBeUndefined();
    });

    it('with a claim time: claims what it returns until claimedUntil; renewing extends the claims still held, one taken by another caller after it ran out is lost', async () => {
      const [one, two] = [await stores.claiming(1000), await stores.claiming(1000)];
      expect([one.claimMs, outbox.claimMs]).toEqual([1000, 0]);
      await outbox.enqueue(A, 'stored', 100);
      await outbox.enqueue(B, 'stored', 101);
      const q = { debounceMs: 0, maxDelayMs: 0, limit: 10 };
      expect(await outbox.due({ ...q, now: 200 })).toMatchObject([{ studyUid: A }, { studyUid: B }]);
      expect((await outbox.due({ ...q, now: 200 }))[0]).not.toHaveProperty('claimedUntil');
      const got = await one.due({ ...q, now: 200 });
      expect(got.map((r) => [r.studyUid, r.nextAttemptAt, r.claimedUntil])).toEqual([
        [A, 0, 1200],
        [B, 0, 1200],
      ]);
      expect(await two.due({ ...q, now: 1199 })).toEqual([]);
      // Renewed at 1100: neither is due for `two` at 1500, where the first claim had run out.
      const held = got.map((r) => ({ studyUid: r.studyUid, until: r.claimedUntil! }));
      expect(await one.renewClaims(held, 1100)).toEqual([
        { studyUid: A, until: 2100 },
        { studyUid: B, until: 2100 },
      ]);
      expect(await two.due({ ...q, now: 1500 })).toEqual([]);
      expect(await two.claimOne(A, 1500)).toBeUndefined();
      // Only A renewed again: B's claim runs out at 2100 and `two` takes it.
      expect(await one.renewClaims([{ studyUid: A, until: 2100 }], 2000)).toEqual([{ studyUid: A, until: 3000 }]);
      expect(await two.due({ ...q, now: 2100 })).toMatchObject([{ studyUid: B, claimedUntil: 3100 }]);
      const mine = [
        { studyUid: A, until: 3000 },
        { studyUid: B, until: 2100 },
      ];
      expect(await one.holdClaims(mine)).toEqual([A]);
      expect(await one.renewClaims(mine, 2200)).toEqual([{ studyUid: A, until: 3200 }]);
      expect(await two.holdClaims([{ studyUid: B, until: 3100 }])).toEqual([B]);
      // Completing ends the claim: nothing left to renew.
      await two.complete(B, 1, 2300);
      expect(await two.renewClaims([{ studyUid: B, until: 3100 }], 2400)).toEqual([]);
      expect(await two.holdClaims([{ studyUid: B, until: 3100 }])).toEqual([]);
      expect(await one.claimOne(A, 3199)).toBeUndefined();
      expect(await two.claimOne(A, 3200)).toMatchObject({ studyUid: A, claimedUntil: 4200 });
    });

    it('retries later: not due before its time, counted as retrying, with its error', async () => {
      await outbox.enqueue(A, 'stored', 1000);
      await outbox.retryLater(A, 5000, 'HTTP 503');
      const q = { debounceMs: 0, maxDelayMs: 0, limit: 10 };
      expect(await outbox.due({ ...q, now: 4999 })).toEqual([]);
      expect(await outbox.due({ ...q, now: 5000 })).toMatchObject([
        { studyUid: A, attempts: 1, lastError: 'HTTP 503' },
      ]);
      expect(await outbox.counts()).toEqual({ pending: 0, retrying: 1, dead: 0 });
      expect((await outbox.pending()).map((r) => r.studyUid)).toEqual([A]);
    });

    it('parks a permanent failure as a dead letter, replays it on demand, and a new change revives it', async () => {
      await outbox.enqueue(A, 'stored', 1000);
      await outbox.enqueue(B, 'stored', 1000);
      await outbox.park(A, 1, 'HTTP 400 (invalid)');
      await outbox.park(B, 1, 'HTTP 422');
      expect(await outbox.dead()).toMatchObject([
        { studyUid: A, lastError: 'HTTP 400 (invalid)', dead: true, attempts: 1 },
        { studyUid: B, dead: true },
      ]);
      expect(await outbox.due({ now: 99_999, debounceMs: 0, maxDelayMs: 0, limit: 10 })).toEqual([]);
      expect(await outbox.counts()).toEqual({ pending: 0, retrying: 0, dead: 2 });
      expect(await outbox.replay(A, 5000)).toBe(1);
      expect(await outbox.get(A)).toMatchObject({ dead: false, attempts: 0, firstChangedAt: 5000 });
      expect(await outbox.get(A)).not.toHaveProperty('lastError');
      expect(await outbox.counts()).toEqual({ pending: 1, retrying: 0, dead: 1 });
      await outbox.enqueue(B, 'stored', 6000);
      expect(await outbox.counts()).toEqual({ pending: 2, retrying: 0, dead: 0 });
      await outbox.park(A, 1, 'again');
      await outbox.park(B, 2, 'again');
      expect(await outbox.replay(undefined, 7000)).toBe(2);
    });

    it('does not park a change newer than the one that failed: that one is retried instead', async () => {
      await outbox.enqueue(A, 'stored', 1000);
      await outbox.enqueue(A, 'stored', 1001);
      await outbox.park(A, 1, 'HTTP 400');
      expect(await outbox.get(A)).toMatchObject({ dead: false, seq: 2, attempts: 1, nextAttemptAt: 0 });
    });

    it('keeps the record of each study’s last sync, the FHIR id surviving a record without one', async () => {
      expect(await outbox.lastSync(A)).toBeUndefined();
      await outbox.record({
        studyUid: A,
        outcome: 'written',
        fhirId: 'f1',
        versionId: '1',
        instances: 3,
        syncedAt: 10,
      });
      await outbox.record({ studyUid: A, outcome: 'unchanged', instances: 4, syncedAt: 20 });
      await outbox.record({ studyUid: B, outcome: 'quarantined', syncedAt: 30 });
      expect(await outbox.lastSync(A)).toEqual({
        studyUid: A,
        outcome: 'unchanged',
        fhirId: 'f1',
        versionId: '1',
        instances: 4,
        syncedAt: 20,
      });
      expect(await outbox.lastSync(B)).toEqual({ studyUid: B, outcome: 'quarantined', syncedAt: 30 });
      expect(await outbox.syncedCount()).toBe(1);
    });

    it('keeps meta values as JSON, the last one written winning', async () => {
      expect(await outbox.getMeta('capabilities')).toBeUndefined();
      await outbox.setMeta('capabilities', { target: 'embedded', ok: true });
      await outbox.setMeta('capabilities', { target: 'other', list: [1, 2] });
      expect(await outbox.getMeta('capabilities')).toEqual({ target: 'other', list: [1, 2] });
    });

    it('gets the row the archive index writes with each change of a study, in the same commit', async () => {
      const record = (n: number) => indexRecord({ sop: `${A}.1.${n}`, instanceNumber: n, study: A });
      await stores.index.commit([{ record: record(1), replaces: null }]);
      const first = await outbox.get(A);
      expect(first).toMatchObject({ studyUid: A, dead: false, attempts: 0 });
      await stores.index.commit([{ record: record(2), replaces: null }]);
      expect((await outbox.get(A))?.seq).toBe(first!.seq + 1);
      expect(await outbox.get(B)).toBeUndefined();
    });
  });
}
