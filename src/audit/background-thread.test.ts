import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WalCheckpointer } from '../core/wal-checkpointer.js';
import { backgroundServiceThread } from './projection-thread.js';

const warnings: unknown[] = [];
const logger = { warn: (o: unknown) => void warnings.push(o) };

describe("the server's shared background thread (WAL checkpoints and audit projection)", () => {
  const dirs: string[] = [];
  const dbs: Database.Database[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-bg-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'x.sqlite'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t(v BLOB)');
    dbs.push(db);
    return db;
  };
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    warnings.length = 0;
  });

  it('runs two services in one thread; one resting does not stop the other; it ends with the last', async () => {
    const host = backgroundServiceThread();
    const a = fresh();
    const b = fresh();
    // `a`'s checkpointer rests 300 ms after its last write, `b`'s after 30 s.
    const resting = new WalCheckpointer(logger, 50, undefined, 300, undefined, host);
    const busy = new WalCheckpointer(logger, 50, undefined, 30_000, undefined, host);
    resting.adopt(a);
    busy.adopt(b);
    expect(host.threadStarts).toBe(1);
    await expect.poll(() => resting.threadRunning, { timeout: 10_000 }).toBe(false);
    expect(host.running).toBe(true);
    // `b`'s checkpoints still run in the thread: its WAL is copied into the file (its own commits do not).
    expect(b.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const insert = b.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 600; i++) insert.run(Buffer.alloc(8192, i));
    await expect.poll(() => statSync(b.name).size, { timeout: 10_000 }).toBeGreaterThan(4_000_000);
    expect(host.threadStarts).toBe(1);
    await busy.close();
    expect(host.running).toBe(false);
    await resting.close();
    expect(warnings).toEqual([]);
  });
});
