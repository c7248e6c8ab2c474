import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WalCheckpointer } from './wal-checkpointer.js';

const warnings: unknown[] = [];
const logger = { warn: (o: unknown) => void warnings.push(o) };
const until = async (done: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  return done();
};

describe('WAL checkpoints off the main thread', () => {
  const open: { dir: string; db: Database.Database; checkpointer: WalCheckpointer }[] = [];
  const start = (idleStopMs?: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-wal-'));
    const handle = new Database(join(dir, 'x.sqlite'));
    handle.pragma('journal_mode = WAL');
    handle.exec('CREATE TABLE t(v BLOB)');
    const checkpointer = new WalCheckpointer(logger, 50, undefined, idleStopMs);
    open.push({ dir, db: handle, checkpointer });
    return { dir, db: handle, checkpointer };
  };
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.checkpointer.close();
      o.db.close();
      rmSync(o.dir, { recursive: true, force: true });
    }
    warnings.length = 0;
  });

  it('the connection stops checkpointing in its commits and the worker moves the WAL into the file', async () => {
    const { db, checkpointer } = start();
    checkpointer.adopt(db);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(db.name).size;
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 600; i++) insert.run(Buffer.alloc(8192, i)); // ~5 MB of WAL, over 1000 pages
    // No commit checkpointed: the database file has not grown.
    expect(statSync(db.name).size).toBe(before);
    expect(await until(() => statSync(db.name).size > 4_000_000)).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 600 });
    await checkpointer.close();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(warnings).toEqual([]);
  });

  it('gives the checkpoints back to the connection when the worker cannot open its file', async () => {
    const { db, checkpointer } = start();
    rmSync(db.name); // the connection keeps its open file; the worker finds none
    checkpointer.adopt(db);
    expect(await until(() => db.pragma('wal_autocheckpoint', { simple: true }) === 1000)).toBe(true);
    expect(warnings).toHaveLength(1);
  });

  it('ends its thread when no WAL is written, and starts it again at the next write to checkpoint it', async () => {
    const { db, checkpointer } = start(300);
    checkpointer.adopt(db);
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    insert.run(Buffer.alloc(8192, 1));
    expect(checkpointer.threadRunning).toBe(true);
    // Its own checkpoints do not count as writes: the thread rests once the writes stop.
    expect(await until(() => !checkpointer.threadRunning)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(checkpointer.threadStarts).toBe(1);
    const before = statSync(db.name).size;
    for (let i = 0; i < 300; i++) insert.run(Buffer.alloc(8192, i));
    expect(statSync(db.name).size).toBe(before); // still no checkpoint in the connection's commits
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    expect(await until(() => statSync(db.name).size > before + 2_000_000)).toBe(true);
    expect(checkpointer.threadStarts).toBe(2);
    expect(await until(() => !checkpointer.threadRunning)).toBe(true);
    await checkpointer.close();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(warnings).toEqual([]);
  });

  it('closes cleanly while its thread rests, giving the checkpoints back to the connection', async () => {
    const { db, checkpointer } = start(100);
    checkpointer.adopt(db);
    expect(await until(() => !checkpointer.threadRunning)).toBe(true);
    await checkpointer.close();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(checkpointer.threadRunning).toBe(false);
  });
});
