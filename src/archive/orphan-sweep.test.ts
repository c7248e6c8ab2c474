import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../dicom/test-support.js';
import { Archive, studyFolder } from './archive.js';
import { FileBlobStore } from './file-blob-store.js';
import { OrphanSweeper } from './orphan-sweep.js';
import { SqliteIndex } from './sqlite/sqlite-index.js';
import { SqliteUpkeep } from './sqlite/sqlite-upkeep.js';

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

describe('orphan sweep after an unclean stop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-sweep-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes files no index row refers to, keeps indexed and very recent ones, and only after an unclean stop', async () => {
    const index = new SqliteIndex(join(dir, 'index.sqlite'));
    const blobs = new FileBlobStore(dir);
    const archive = new Archive(index, blobs, { duplicatePolicy: 'reject', bulkDataThreshold: 1024, minFreeBytes: 0 });
    const sweeper = new OrphanSweeper(index, new SqliteUpkeep(index.db), blobs);
    expect(await sweeper.begin(1000)).toBeUndefined(); // first start: nothing to sweep
    await archive.store(once(ctInstance({ sop: `${ROOT}.9.1` })), { source: 't' });
    // A file renamed into place whose commit never happened (the crash window).
    const w = await blobs.create();
    await w.writev([ctInstance({ sop: `${ROOT}.9.2` })]);
    const folder = studyFolder(`${ROOT}.1`);
    const orphanKey = `${folder}/${ROOT}.9.2-deadbeef.dcm`;
    await (await w.seal()).commit({ key: orphanKey, sopUid: '1.2.3', source: 'test' });
    const old = (Date.now() - 120_000) / 1000;
    utimesSync(join(dir, 'blobs', orphanKey), old, old);
    const fresh = await blobs.create();
    await fresh.writev([Buffer.from('a live writer, about to commit')]);
    await (await fresh.seal()).commit({ key: `${folder}/fresh-0.dcm`, sopUid: '1.2.3', source: 'test' });

    // The process dies here (no end()); the next start sees an unclean stop.
    const since = await sweeper.begin();
    expect(since).toBe(1000);
    expect(await sweeper.sweep(since!)).toBe(1);
    const left = readdirSync(join(dir, 'blobs', folder)).sort();
    expect(left).toHaveLength(2);
    expect(left.some((f) => f.startsWith(`${ROOT}.9.1-`))).toBe(true);
    expect(left).toContain('fresh-0.dcm');
    await sweeper.end();
    expect(await sweeper.begin()).toBeUndefined(); // after a clean stop
    index.close();
  });
});
