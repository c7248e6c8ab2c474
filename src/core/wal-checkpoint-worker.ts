/**
 * The WAL checkpointer's worker side: its own connection to each database it is given, and every
 * `intervalMs` a PASSIVE checkpoint of each (copies committed WAL frames into the database file
 * and syncs both, without waiting for readers or writers). See wal-checkpointer.ts.
 *
 * SQLite rewinds a WAL (its next writer writes from the start of the file again) only when that
 * writer's transaction began with every frame already copied. A PASSIVE checkpoint on another
 * thread takes a while, and a server that commits back to back (C-STOREs over 4 associations)
 * has always committed again by then: the log was never rewound, the file grew by every frame
 * ever written (issue 21, P3: fhir.sqlite-wal 676 MB, index.sqlite-wal 341 MB at 10,000
 * instances), and each checkpoint and each WAL append touched new pages of the file. So once the
 * WAL holds more than `restartWalBytes` of frames, the PASSIVE checkpoint is followed by a
 * RESTART one: it takes the write lock (waiting up to busy_timeout for the current writer),
 * copies the few frames committed since the PASSIVE pass, syncs, and waits for readers of the
 * old frames, so the next commit starts at the beginning of the file. Writers wait for that
 * short hold (the FHIR store's on timers, write-lock.ts); a RESTART that finds the lock busy
 * for busy_timeout gives up and is tried again at the next pass.
 */
import type { MessagePort } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite-open.js';
import type { CheckpointFromWorker, CheckpointToWorker, CheckpointWorkerData } from './wal-checkpointer.js';

interface CheckpointResult {
  busy: number;
  /** Frames in the WAL since it was last rewound. */
  log: number;
  checkpointed: number;
}

/** The checkpoints' side, on `port`: a thread of its own (wal-checkpoint-thread.ts) or a part of a shared one. */
export function runCheckpoints(
  port: MessagePort,
  { intervalMs, restartWalBytes, sqliteKeys }: CheckpointWorkerData,
): void {
  const dbs = new Map<string, { db: Database.Database; restartFrames: number }>();

  function checkpointAll(): void {
    for (const [path, { db, restartFrames }] of dbs) {
      try {
        const [passive] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
        if (passive && passive.log > restartFrames) db.pragma('wal_checkpoint(RESTART)');
      } catch (e) {
        port.postMessage({ type: 'failed', path, message: (e as Error).message } satisfies CheckpointFromWorker);
      }
    }
  }

  const timer = setInterval(checkpointAll, intervalMs);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    checkpointAll();
    for (const { db } of dbs.values()) db.close();
    dbs.clear();
  };
  // A part of a shared thread detached without its `close` (the main side gave up waiting).
  port.on('close', close);

  port.on('message', (m: CheckpointToWorker) => {
    if (m.type === 'add') {
      if (closed) return;
      try {
        const db = openSqlite(m.path, sqliteKeys, { fileMustExist: true });
        db.pragma('busy_timeout = 1000');
        // In WAL mode a checkpoint syncs the WAL before and the database file after it at NORMAL or FULL.
        db.pragma('synchronous = FULL');
        const pageSize = Number(db.pragma('page_size', { simple: true }));
        dbs.set(m.path, { db, restartFrames: Math.max(1, Math.floor(restartWalBytes / pageSize)) });
        port.postMessage({ type: 'added', path: m.path } satisfies CheckpointFromWorker);
      } catch (e) {
        port.postMessage({
          type: 'failed',
          path: m.path,
          message: (e as Error).message,
        } satisfies CheckpointFromWorker);
      }
    } else if (m.type === 'close') {
      close();
      port.postMessage({ type: 'closed' } satisfies CheckpointFromWorker);
    }
  });
}
