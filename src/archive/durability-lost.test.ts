import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../core/errors.js';
import { ROOT, ctInstance } from '../dicom/test-support.js';
import { Archive } from './archive.js';
import { ArchiveBlobStore } from './archive-blob-store.js';
import { SqliteIndex } from './sqlite/sqlite-index.js';

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

/**
 * Fail-stop after a failed sync of the index (docs/journal-recovery.md). The failure is a real
 * one of the sync's own system calls: the WAL's name is made a symlink loop, so opening it for
 * the fdatasync fails with ELOOP (in the field: EIO from a failing device), while SQLite keeps
 * writing through the descriptor it already holds.
 */
describe('archive after a failed index sync: nothing later is acknowledged until a restart', () => {
  let dir: string;
  let index: SqliteIndex;
  const open = () =>
    new Archive(
      (index = new SqliteIndex(join(dir, 'index.sqlite'))),
      // Objects over 1 byte go to files of their own, acknowledged after a WAL sync.
      new ArchiveBlobStore(dir, { packWriter: true, packLimit: 1 }),
      { duplicatePolicy: 'keep-newest', bulkDataThreshold: 1024, minFreeBytes: 0 },
    );
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-durability-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fails the store whose sync failed, refuses every later one, keeps the journal mark, and works after a restart', async () => {
    let archive = open();
    const heard: Error[] = [];
    archive.onDurabilityLost((e) => heard.push(e));
    const first = ctInstance({ sop: `${ROOT}.1.1` });
    expect((await archive.store(once(first), { source: 'AE1' })).kind).toBe('stored');
    index.db.pragma('wal_checkpoint(TRUNCATE)'); // the first instance is in the database file
    const mark = await index.journalMark();

    const wal = join(dir, 'index.sqlite-wal');
    rmSync(wal);
    symlinkSync(wal, wal); // open() of the WAL now fails: ELOOP
    const failed = await archive.store(once(ctInstance({ sop: `${ROOT}.1.2` })), { source: 'AE1' }).catch((e) => e);
    expect(failed).toBeInstanceOf(StoreError);
    expect((failed as StoreError).status).toBe(0xa700);
    expect(heard).toHaveLength(1);
    expect((heard[0] as NodeJS.ErrnoException).code).toBe('ELOOP');

    // The device is back, but what reached the disk is unknown: still refused, said once.
    rmSync(wal);
    const later = await archive.store(once(ctInstance({ sop: `${ROOT}.1.3` })), { source: 'AE1' }).catch((e) => e);
    expect(later).toBeInstanceOf(StoreError);
    expect((later as StoreError).status).toBe(0xa700);
    expect((later as Error).message).toMatch(/accepts no data until it is restarted/);
    expect(heard).toHaveLength(1);
    await archive.checkpoint();
    expect(await index.journalMark()).toEqual(mark);
    index.db.close();
    archive.blobs.close?.();
    rmSync(join(dir, 'index.sqlite-shm'), { force: true });

    archive = open(); // the restart
    try {
      await archive.recover();
      expect(index.durabilityLost).toBeUndefined();
      expect(await index.findInstance(`${ROOT}.1.1`)).toBeDefined();
      expect((await archive.store(once(ctInstance({ sop: `${ROOT}.1.4` })), { source: 'AE1' })).kind).toBe('stored');
    } finally {
      await archive.close();
    }
  });
});
