/**
 * The journal mark is committed unsynced and made durable by the WAL's fdatasync off the main
 * thread (sqlite-index.ts, checkpoint): its promise settles only after that sync, and a failed
 * sync rejects it and stops the index accepting data (fail-stop, docs/journal-recovery.md).
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteIndex } from './sqlite-index.js';

describe('SQLite index journal mark', () => {
  let dir: string;
  let index: SqliteIndex;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-mark-'));
    index = new SqliteIndex(join(dir, 'index.sqlite'));
  });
  afterEach(async () => {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is recorded and read back after the WAL sync', async () => {
    await index.checkpoint({ segment: 2, offset: 512 });
    expect(await index.journalMark()).toEqual({ segment: 2, offset: 512 });
    expect(index.durabilityLost).toBeUndefined();
  });

  it('rejects when the WAL sync fails, and the index then refuses data', async () => {
    await index.checkpoint({ segment: 1, offset: 0 });
    const wal = join(dir, 'index.sqlite-wal');
    rmSync(wal);
    symlinkSync(wal, wal); // opening the WAL for its fdatasync now fails: ELOOP
    const failed = await index.checkpoint({ segment: 1, offset: 4096 }).catch((e: NodeJS.ErrnoException) => e);
    expect((failed as NodeJS.ErrnoException).code).toBe('ELOOP');
    expect((index.durabilityLost as NodeJS.ErrnoException | undefined)?.code).toBe('ELOOP');
    rmSync(wal);
    await expect(index.checkpoint({ segment: 1, offset: 8192 })).rejects.toThrow();
    await expect(index.commit([])).rejects.toThrow(/accepts no data until it is restarted/);
  });
});
