/**
 * The WAL checkpointer's thread: its own connection to each database it is given, and every
 * `intervalMs` a PASSIVE checkpoint of each (copies committed WAL frames into the database file
 * and syncs both, without waiting for readers or writers). See wal-checkpointer.ts.
 */
import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite-open.js';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointFromWorker, CheckpointToWorker, CheckpointWorkerData } from './wal-checkpointer.js';

const { intervalMs, sqliteKeys } = workerData as CheckpointWorkerData;
const port = parentPort!;
const dbs = new Map<string, Database.Database>();

function checkpointAll(): void {
  for (const [path, db] of dbs) {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (e) {
      port.postMessage({ type: 'failed', path, message: (e as Error).message } satisfies CheckpointFromWorker);
    }
  }
}

const timer = setInterval(checkpointAll, intervalMs);

port.on('message', (m: CheckpointToWorker) => {
  if (m.type === 'add') {
    try {
      const db = openSqlite(m.path, sqliteKeys, { fileMustExist: true });
      db.pragma('busy_timeout = 1000');
      // In WAL mode a checkpoint syncs the WAL before and the database file after it at NORMAL or FULL.
      db.pragma('synchronous = FULL');
      dbs.set(m.path, db);
      port.postMessage({ type: 'added', path: m.path } satisfies CheckpointFromWorker);
    } catch (e) {
      port.postMessage({ type: 'failed', path: m.path, message: (e as Error).message } satisfies CheckpointFromWorker);
    }
  } else if (m.type === 'close') {
    clearInterval(timer);
    checkpointAll();
    for (const db of dbs.values()) db.close();
    dbs.clear();
    port.postMessage({ type: 'closed' } satisfies CheckpointFromWorker);
  }
});
