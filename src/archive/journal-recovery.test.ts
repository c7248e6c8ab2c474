import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../dicom/test-support.js';
import { Archive } from './archive.js';
import { ArchiveBlobStore } from './archive-blob-store.js';
import { SqliteIndex } from './sqlite/sqlite-index.js';

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += 100) yield buf.subarray(i, i + 100);
}

const INDEX_FILES = ['index.sqlite', 'index.sqlite-wal'];

/**
 * Journaled index commits are not synced: a power cut can lose the last ones. Simulated
 * here by putting back the index files as they were at the last synced commit (the
 * checkpoint), keeping the packs, which were synced before each acknowledgement.
 */
describe('archive journal: instances whose index commit was lost come back at start', () => {
  let dir: string;
  let index: SqliteIndex;
  const open = (packLimit?: number) => {
    const blobs = new ArchiveBlobStore(dir, { packWriter: true, ...(packLimit !== undefined ? { packLimit } : {}) });
    index = new SqliteIndex(join(dir, 'index.sqlite'));
    return new Archive(index, blobs, {
      duplicatePolicy: 'keep-newest',
      bulkDataThreshold: 1024,
      minFreeBytes: 0,
    });
  };
  const snapshot = () => {
    for (const f of INDEX_FILES) if (existsSync(join(dir, f))) copyFileSync(join(dir, f), join(dir, `${f}.synced`));
  };
  const powerCut = (archive: Archive) => {
    // No checkpoint, no orderly close: the process is gone and the unsynced commits with it.
    index.db.close();
    archive.blobs.close?.();
    for (const f of INDEX_FILES) {
      rmSync(join(dir, f), { force: true });
      if (existsSync(join(dir, `${f}.synced`))) copyFileSync(join(dir, `${f}.synced`), join(dir, f));
    }
    rmSync(join(dir, 'index.sqlite-shm'), { force: true });
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-journal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-indexes every acknowledged instance after the mark, versions and duplicates included, and no more', async () => {
    let archive = open();
    const first = [1, 2, 3].map((n) => ctInstance({ sop: `${ROOT}.1.${n}` }));
    for (const f of first) expect((await archive.store(once(f), { source: 'AE1' })).kind).toBe('stored');
    await archive.checkpoint();
    snapshot();
    // After the synced point: new instances, a new version of one, a duplicate, a new study.
    const later = [4, 5].map((n) => ctInstance({ sop: `${ROOT}.1.${n}` }));
    for (const f of later) expect((await archive.store(once(f), { source: 'AE2' })).kind).toBe('stored');
    const changed = ctInstance({ sop: `${ROOT}.1.2`, description: 'corrected' });
    expect((await archive.store(once(changed), { source: 'AE2' })).kind).toBe('new-version');
    expect((await archive.store(once(later[0]!), { source: 'AE2' })).kind).toBe('duplicate');
    const other = ctInstance({ study: `${ROOT}.7`, series: `${ROOT}.7.1`, sop: `${ROOT}.7.1.1` });
    expect((await archive.store(once(other), { source: 'AE3' })).kind).toBe('stored');
    const before = (await archive.instances({ studyUid: `${ROOT}.1` })).map((i) => [i.sopUid, i.blobKey]);
    powerCut(archive);

    archive = open();
    try {
      expect(await archive.instances({ studyUid: `${ROOT}.1` })).toHaveLength(3); // what the synced index had
      expect(await archive.recover()).toBe(4); // 1.4, 1.5, the new version of 1.2, 7.1.1
      expect((await archive.instances({ studyUid: `${ROOT}.1` })).map((i) => [i.sopUid, i.blobKey])).toEqual(before);
      expect(await archive.instances({ studyUid: `${ROOT}.7` })).toHaveLength(1);
      const v2 = (await archive.instances({ studyUid: `${ROOT}.1`, sopUid: `${ROOT}.1.2` }))[0]!;
      expect((await archive.blobs.read(v2.blobKey)).equals(changed)).toBe(true);
      expect((await index.findInstance(`${ROOT}.1.2`))?.version).toBe(2);
      // The source noted in the journal is kept.
      const row = index.db.prepare('SELECT source FROM instances WHERE sop_uid = ?').get(`${ROOT}.7.1.1`) as {
        source: string;
      };
      expect(row.source).toBe('AE3');
      // The FHIR sync hears about the re-indexed studies.
      const due = index.db.prepare('SELECT study_uid AS s FROM sync_outbox ORDER BY s').all() as {
        s: string;
      }[];
      expect(due.map((d) => d.s)).toEqual(expect.arrayContaining([`${ROOT}.1`, `${ROOT}.7`]));
      // Recovery moved the mark: a second start has nothing to redo.
      expect(await archive.recover()).toBe(0);
    } finally {
      await archive.close();
    }
    archive = open();
    try {
      expect(await archive.recover()).toBe(0);
      expect(await archive.instances({ studyUid: `${ROOT}.1` })).toHaveLength(5);
    } finally {
      await archive.close();
    }
  });

  it('small objects go to the packs with unsynced commits; objects over the limit go to files with synced ones', async () => {
    const archive = open(2000);
    try {
      const small = ctInstance({ sop: `${ROOT}.1.1` });
      const big = ctInstance({ sop: `${ROOT}.1.2`, rows: 64, columns: 64 });
      expect(small.length).toBeLessThan(2000);
      expect(big.length).toBeGreaterThan(2000);
      await archive.store(once(small), { source: 't' });
      await archive.store(once(big), { source: 't' });
      const [a, b] = (await archive.instances({ studyUid: `${ROOT}.1` })).sort((x, y) =>
        x.sopUid.localeCompare(y.sopUid),
      );
      expect(a!.blobKey).toMatch(/^p\//);
      expect(b!.blobKey).not.toMatch(/^p\//);
      expect((await archive.blobs.read(a!.blobKey)).equals(small)).toBe(true);
      expect((await archive.blobs.read(b!.blobKey)).equals(big)).toBe(true);
      // Deleting erases the packed bytes.
      await archive.delete({ studyUid: `${ROOT}.1` }, 'test', 'erasure');
      expect((await archive.blobs.read(a!.blobKey)).equals(Buffer.alloc(small.length))).toBe(true);
    } finally {
      await archive.close();
    }
  });
});
