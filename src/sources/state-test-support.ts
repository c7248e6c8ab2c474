import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RemoteStudy } from './pacs.js';
import type { SourceStateStore } from './state-store.js';

export interface OpenedSourceState {
  store: SourceStateStore;
  close(): Promise<void> | void;
}

/** `skip`: why this implementation cannot run here (no server); the suite is reported skipped with it. */
export interface SuiteOptions {
  skip?: string;
}

const remote = (studyUid: string, instances?: number, series?: number): RemoteStudy => ({
  studyUid,
  studyDate: '20260101',
  instances,
  series,
  json: {},
});

const PACS = { name: 'pacs', kind: 'dicomweb', mode: 'copy', endpoint: 'https://pacs.test/dicomweb' };

/** The behaviour every SourceStateStore implementation must have (SQLite, PostgreSQL). */
export function sourceStateSuite(
  name: string,
  open: () => Promise<OpenedSourceState> | OpenedSourceState,
  options: SuiteOptions = {},
): void {
  const skipped = options.skip === undefined ? '' : ` (skipped: ${options.skip})`;
  describe.skipIf(options.skip !== undefined)(`SourceStateStore contract: ${name}${skipped}`, () => {
    let opened: OpenedSourceState;
    let store: SourceStateStore;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    it('registers a source, replaces its settings on the next start, and knows nothing of others', async () => {
      expect(await store.source('pacs')).toBeUndefined();
      await store.register(PACS, 1000);
      await store.register({ ...PACS, mode: 'metadata-only' }, 2000);
      expect(await store.source('pacs')).toEqual({
        ...PACS,
        mode: 'metadata-only',
        lastPollAt: null,
        lastPollOkAt: null,
        lastReconcileAt: null,
        lastWindowFrom: null,
        lastError: null,
        polls: 0,
      });
      expect(await store.source('other')).toBeUndefined();
    });

    it('reports an Endpoint choice change once, treating a source recorded before the choice as `ours`', async () => {
      await store.register(PACS, 1000);
      expect(await store.endpointChoiceChanged('pacs', 'ours')).toBe(false);
      expect(await store.endpointChoiceChanged('pacs', 'theirs')).toBe(true);
      expect(await store.endpointChoiceChanged('pacs', 'theirs')).toBe(false);
    });

    it('queues studies first seen, keeps the status of known ones while updating their counts', async () => {
      await store.register(PACS, 1000);
      await store.seen('pacs', [remote('1.1', 3, 1), remote('1.2')], 1000);
      await store.fetching('pacs', '1.1', 1100);
      await store.done('pacs', '1.1', { instances: 3, series: 1, fetched: 3, now: 1200 });
      await store.seen('pacs', [remote('1.1', 5, 2), remote('1.3', 1, 1)], 2000);
      expect(await store.study('pacs', '1.1')).toEqual({
        status: 'done',
        syncedInstances: 3,
        syncedSeries: 1,
        attempts: 0,
        retryAt: null,
      });
      expect((await store.study('pacs', '1.3'))?.status).toBe('queued');
      expect(await store.study('pacs', '9.9')).toBeUndefined();
      expect((await store.studiesOf('pacs')).sort()).toEqual(['1.1', '1.2', '1.3']);
      expect(await store.studiesOf('other')).toEqual([]);
    });

    it('counts failed attempts with their retry time, and a success resets them', async () => {
      await store.register(PACS, 1000);
      await store.seen('pacs', [remote('1.1')], 1000);
      await store.failed('pacs', '1.1', { error: 'timeout', retryAt: 5000, fetched: 1, now: 1100 });
      await store.failed('pacs', '1.1', { error: 'refused', retryAt: 9000, fetched: 0, now: 1200 });
      expect(await store.study('pacs', '1.1')).toMatchObject({ status: 'failed', attempts: 2, retryAt: 9000 });
      await store.done('pacs', '1.1', {
        instances: 2,
        series: 1,
        fetched: 1,
        dicomwebUrl: 'https://x.test',
        now: 1300,
      });
      expect(await store.study('pacs', '1.1')).toMatchObject({ status: 'done', attempts: 0, retryAt: null });
      expect((await store.status())[0].instancesFetched).toBe(2);
    });

    it('queues a study left fetching by a crash again when the source registers', async () => {
      await store.register(PACS, 1000);
      await store.seen('pacs', [remote('1.1')], 1000);
      await store.fetching('pacs', '1.1', 1100);
      await store.register(PACS, 2000);
      expect((await store.study('pacs', '1.1'))?.status).toBe('queued');
    });

    it('keeps the last good poll, window and reconcile when a poll fails', async () => {
      await store.register(PACS, 1000);
      await store.pollFinished('pacs', { at: 1000, windowFrom: '20251201', reconcile: true });
      await store.pollFinished('pacs', { at: 2000, windowFrom: '20251225', reconcile: false });
      await store.pollFinished('pacs', { at: 3000, windowFrom: '20251226', reconcile: true, error: 'PACS down' });
      expect(await store.source('pacs')).toMatchObject({
        lastPollAt: 3000,
        lastPollOkAt: 2000,
        lastReconcileAt: 1000,
        lastWindowFrom: '20251225',
        lastError: 'PACS down',
        polls: 3,
      });
      await store.pollFinished('pacs', { at: 4000, windowFrom: undefined, reconcile: true });
      expect(await store.source('pacs')).toMatchObject({ lastReconcileAt: 4000, lastWindowFrom: '', lastError: null });
    });

    it('requeues a study for the next poll and makes that poll a full reconcile', async () => {
      await store.register(PACS, 1000);
      await store.seen('pacs', [remote('1.1', 2, 1)], 1000);
      await store.done('pacs', '1.1', { instances: 2, series: 1, fetched: 2, now: 1100 });
      await store.failed('pacs', '1.1', { error: 'x', retryAt: 9000, fetched: 0, now: 1150 });
      await store.pollFinished('pacs', { at: 1200, windowFrom: '', reconcile: true });
      await store.requeue('pacs', '1.1', undefined, 1300);
      await store.requeue('pacs', '2.2', '20240101', 1300);
      expect(await store.study('pacs', '1.1')).toEqual({
        status: 'queued',
        syncedInstances: null,
        syncedSeries: null,
        attempts: 0,
        retryAt: null,
      });
      expect((await store.study('pacs', '2.2'))?.status).toBe('queued');
      expect((await store.source('pacs'))?.lastReconcileAt).toBeNull();
    });

    it('reports every source by name with its study counts and its 20 latest failures', async () => {
      await store.register({ ...PACS, name: 'zeta' }, 1000);
      await store.register(PACS, 1000);
      const uids = Array.from({ length: 23 }, (_, i) => `2.${i}`);
      await store.seen('pacs', [...uids.map((u) => remote(u)), remote('3.1'), remote('3.2')], 1000);
      for (const [i, uid] of uids.entries())
        await store.failed('pacs', uid, { error: `e${i}`, retryAt: 9000, fetched: 0, now: 2000 + i });
      await store.done('pacs', '3.1', { instances: 4, series: 1, fetched: 4, now: 1500 });
      const [pacs, zeta] = await store.status();
      expect(pacs.name).toBe('pacs');
      expect(pacs.studies).toEqual({ queued: 1, fetching: 0, done: 1, failed: 23 });
      expect(pacs.instancesFetched).toBe(4);
      expect(pacs.failures).toHaveLength(20);
      expect(pacs.failures[0]).toEqual({ studyUid: '2.22', error: 'e22', attempts: 1 });
      expect(pacs.failures[19].studyUid).toBe('2.3');
      expect(zeta).toMatchObject({
        name: 'zeta',
        studies: { queued: 0, fetching: 0, done: 0, failed: 0 },
        instancesFetched: 0,
        failures: [],
      });
    });
  });
}
