import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../dicom/test-support.js';
import { Archive } from './archive.js';
import { ArchiveBlobStore } from './archive-blob-store.js';
import { parseKey } from './pack/pack-store.js';
import { HEADER_BYTES } from './pack/record-format.js';
import { SqliteIndex } from './sqlite/sqlite-index.js';

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += 100) yield buf.subarray(i, i + 100);
}

/**
 * The index commit of a journaled pack append runs while the append's fdatasync is in flight
 * (archive.ts bothDone): the answer still waits for the sync, and a restart after a power cut
 * drops a committed row whose record never reached the disk (docs/journal-recovery.md).
 * Real files and SQLite; the seam holds back (or fails) what the pack's sync promise reports,
 * the fdatasync itself runs.
 */
describe('archive: index commit overlapping the pack sync', () => {
  let dir: string;
  let index: SqliteIndex;
  let blobs: ArchiveBlobStore;
  /** Each append's sync, as the archive sees it, settles only when the test says. */
  let gates: { key: string; release: () => void; fail: (e: Error) => void }[];
  let gated: boolean;
  const open = () => {
    blobs = new ArchiveBlobStore(dir, { packWriter: true });
    const packs = blobs.packs;
    const appendWritten = packs.appendWritten.bind(packs);
    packs.appendWritten = (...args: Parameters<typeof appendWritten>) => {
      const r = appendWritten(...args);
      if (!gated) return r;
      let release!: () => void;
      let fail!: (e: Error) => void;
      const gate = new Promise<void>((res, rej) => {
        release = res;
        fail = rej;
      });
      gate.catch(() => undefined); // failed by the test maybe before the real sync is done and chained to it
      gates.push({ key: r.key, release, fail });
      return { key: r.key, durable: r.durable.then(() => gate) };
    };
    index = new SqliteIndex(join(dir, 'index.sqlite'));
    return new Archive(index, blobs, { duplicatePolicy: 'keep-newest', bulkDataThreshold: 1024, minFreeBytes: 0 });
  };
  const rowOf = (sop: string) =>
    index.db.prepare('SELECT blob_key AS key FROM instances WHERE sop_uid = ?').get(sop) as { key: string } | undefined;
  const untilRow = async (sop: string) => {
    for (let i = 0; i < 500 && !rowOf(sop); i++) await new Promise((r) => setTimeout(r, 2));
    return rowOf(sop);
  };
  const counts = (studyUid: string) =>
    index.db
      .prepare(
        `SELECT st.num_instances AS study, (SELECT group_concat(num_instances) FROM series WHERE study_pk = st.pk) AS series
         FROM studies st WHERE st.study_uid = ?`,
      )
      .get(studyUid) as { study: number; series: string } | undefined;
  const settledYet = (p: Promise<unknown>) => {
    let done = false;
    void p.then(
      () => (done = true),
      () => (done = true),
    );
    return async () => {
      await new Promise((r) => setImmediate(r));
      return done;
    };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-overlap-'));
    gates = [];
    gated = false;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('commits the row while the sync is in flight and answers only once the sync is done', async () => {
    const archive = open();
    try {
      gated = true;
      const sop = `${ROOT}.1.1`;
      const storing = archive.store(once(ctInstance({ sop })), { source: 'AE' });
      const done = settledYet(storing);
      const row = await untilRow(sop);
      expect(row?.key).toMatch(/^p\//); // committed first…
      expect(await done()).toBe(false); // …not answered
      // A second store of the same instance waits too: no `duplicate` before the first is durable.
      const again = archive.store(once(ctInstance({ sop })), { source: 'AE' });
      const againDone = settledYet(again);
      await new Promise((r) => setTimeout(r, 50));
      expect(await againDone()).toBe(false);
      expect(await done()).toBe(false);
      gates[0]!.release();
      expect((await storing).kind).toBe('stored');
      expect((await again).kind).toBe('duplicate');
    } finally {
      for (const g of gates) g.release();
      await archive.close();
    }
  });

  it('a failed sync after the commit takes the row out again and fails the store', async () => {
    const archive = open();
    try {
      await archive.store(once(ctInstance({ sop: `${ROOT}.1.1` })), { source: 'AE' });
      gated = true;
      const sop = `${ROOT}.1.2`;
      const storing = archive.store(once(ctInstance({ sop })), { source: 'AE' });
      await untilRow(sop);
      expect(counts(`${ROOT}.1`)?.study).toBe(2);
      gates[0]!.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      await expect(storing).rejects.toMatchObject({ status: 0x0110 });
      expect(rowOf(sop)).toBeUndefined();
      expect(counts(`${ROOT}.1`)).toEqual({ study: 1, series: '1' });
    } finally {
      await archive.close();
    }
  });

  it('after a power cut drops the rows whose records never reached the disk and keeps the durable ones', async () => {
    /** Stores `sop` with its sync held back, then cuts the power: the WAL kept, the pack cut at its record. */
    const storeAndCut = async (archive: Archive, fixture: Parameters<typeof ctInstance>[0] & { sop: string }) => {
      gated = true;
      let key = '';
      try {
        void archive.store(once(ctInstance(fixture)), { source: 'AE' }).catch(() => undefined);
        key = (await untilRow(fixture.sop))!.key;
      } finally {
        index.db.close();
        blobs.close();
      }
      const { segment, offset } = parseKey(key);
      truncateSync(join(dir, 'packs', `${String(segment).padStart(8, '0')}.pack`), offset - HEADER_BYTES);
      gated = false;
    };
    let archive = open();
    // Before the synced mark; then after it, durable but never checkpointed (their entries stay).
    await archive.store(once(ctInstance({ sop: `${ROOT}.1.1` })), { source: 'AE' });
    await archive.checkpoint();
    await archive.store(once(ctInstance({ sop: `${ROOT}.1.2` })), { source: 'AE' });
    const otherStudy = { study: `${ROOT}.7`, series: `${ROOT}.7.1` };
    await archive.store(once(ctInstance({ ...otherStudy, sop: `${ROOT}.7.1.1` })), { source: 'AE' });
    expect((await index.unconfirmedBlobs()).length).toBeGreaterThan(0);
    // Committed, its sync never done: one more of study 1.
    await storeAndCut(archive, { sop: `${ROOT}.1.3` });

    archive = open();
    try {
      expect(counts(`${ROOT}.1`)?.study).toBe(3); // the WAL holds it
      expect(await archive.recover()).toBe(0);
      expect(rowOf(`${ROOT}.1.3`)).toBeUndefined();
      expect(counts(`${ROOT}.1`)).toEqual({ study: 2, series: '2' });
      expect((await archive.instances({ studyUid: `${ROOT}.7` })).map((i) => i.sopUid)).toEqual([`${ROOT}.7.1.1`]);
      for (const i of await archive.instances({ studyUid: `${ROOT}.1` }))
        expect((await archive.blobs.read(i.blobKey)).length).toBe(i.size);
      // The bridge hears of the study that changed.
      const due = index.db.prepare("SELECT study_uid AS s FROM sync_outbox WHERE reason = 'recovered'").all();
      expect(due).toEqual([{ s: `${ROOT}.1` }]);
      // The checkpoint of recovery cleared the entries: nothing left to check at the next start.
      expect(await index.unconfirmedBlobs()).toEqual([]);
    } catch (e) {
      await archive.close();
      throw e;
    }
    // Again, the lost instance the only one of its study: the study goes.
    await storeAndCut(archive, { study: `${ROOT}.8`, series: `${ROOT}.8.1`, sop: `${ROOT}.8.1.1` });
    archive = open();
    try {
      expect(counts(`${ROOT}.8`)?.study).toBe(1);
      expect(await archive.recover()).toBe(0);
      expect(rowOf(`${ROOT}.8.1.1`)).toBeUndefined();
      expect(counts(`${ROOT}.8`)).toBeUndefined();
      expect(counts(`${ROOT}.1`)).toEqual({ study: 2, series: '2' });
      expect(await archive.instances({ studyUid: `${ROOT}.7` })).toHaveLength(1);
    } finally {
      await archive.close();
    }
  });

  it('an object over 256 KiB (a CT slice) commits after its sync', async () => {
    const archive = open();
    try {
      gated = true;
      const big = ctInstance({ sop: `${ROOT}.1.1`, rows: 400, columns: 400 });
      expect(big.length).toBeGreaterThan(256 * 1024);
      const storing = archive.store(once(big), { source: 'AE' });
      for (let i = 0; i < 200 && gates.length < 1; i++) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setTimeout(r, 20));
      expect(rowOf(`${ROOT}.1.1`)).toBeUndefined();
      gates[0]!.release();
      expect((await storing).kind).toBe('stored');
      expect(rowOf(`${ROOT}.1.1`)?.key).toMatch(/^p\//);
    } finally {
      for (const g of gates) g.release();
      await archive.close();
    }
  });

  it('with several stores under way, the later ones commit after their sync (their commits go together)', async () => {
    const archive = open();
    try {
      gated = true;
      const first = archive.store(once(ctInstance({ sop: `${ROOT}.1.1` })), { source: 'AE' });
      await untilRow(`${ROOT}.1.1`);
      const second = archive.store(once(ctInstance({ sop: `${ROOT}.1.2` })), { source: 'AE' });
      for (let i = 0; i < 100 && gates.length < 2; i++) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setTimeout(r, 20));
      expect(rowOf(`${ROOT}.1.2`)).toBeUndefined(); // not committed while its sync is in flight
      gates[1]!.release();
      expect((await second).kind).toBe('stored');
      gates[0]!.release();
      expect((await first).kind).toBe('stored');
    } finally {
      for (const g of gates) g.release();
      await archive.close();
    }
  });
});
