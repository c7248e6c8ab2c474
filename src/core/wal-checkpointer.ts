import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { endWorker } from './end-worker.js';
import { SERVICE_THREAD_LIMITS, workerScript } from './worker-script.js';
import type { SqliteKeys } from './sqlite-open.js';

export interface CheckpointWorkerData {
  intervalMs: number;
  /** The databases are encrypted at rest with one of these keys. */
  sqliteKeys?: SqliteKeys;
}
export type CheckpointToWorker = { type: 'add'; path: string } | { type: 'close' };
export type CheckpointFromWorker =
  | { type: 'added'; path: string }
  | { type: 'failed'; path: string; message: string }
  | { type: 'closed' };

/** SQLite's default: a checkpoint when a commit leaves the WAL over 1000 pages. */
const SQLITE_AUTOCHECKPOINT = 1000;
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Moves the WAL checkpoints of SQLite databases off the event loop. By default the connection
 * whose commit takes the WAL past 1000 pages runs the checkpoint itself — page copies and two
 * fsyncs inside that commit, on the main thread (under the patient-context load of P8, where
 * every request adds an AuditEvent copy, about 7 % of the main thread and a stall for whichever
 * requests wait behind it). adopt() turns that off for the connection and a worker thread
 * checkpoints the file every `intervalMs` through its own connection instead. If the worker
 * cannot (it failed to open the file, or the thread died), the connection checkpoints itself again.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly adopted = new Map<string, Database.Database>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    intervalMs = 1000,
    sqliteKeys?: SqliteKeys,
  ) {
    const { script, eval: isEval, execArgv } = workerScript('wal-checkpoint-worker', import.meta.url);
    this.worker = new Worker(script, {
      eval: isEval,
      execArgv,
      workerData: { intervalMs, ...(sqliteKeys ? { sqliteKeys } : {}) } satisfies CheckpointWorkerData,
      name: 'imaging-bridge-wal-checkpoint',
      resourceLimits: SERVICE_THREAD_LIMITS,
    });
    this.worker.unref();
    this.worker.on('message', (m: CheckpointFromWorker) => this.onMessage(m));
    this.worker.on('error', (err) =>
      this.logger.warn({ err }, 'WAL checkpoint thread failed: connections checkpoint themselves again'),
    );
    this.worker.on('exit', () => {
      for (const path of [...this.adopted.keys()]) this.giveBack(path);
    });
  }

  /** The worker checkpoints `db`'s file from now on; `db` no longer does it in its commits. */
  adopt(db: Database.Database): void {
    if (this.closing || this.adopted.has(db.name)) return;
    db.pragma('wal_autocheckpoint = 0');
    this.adopted.set(db.name, db);
    this.worker.postMessage({ type: 'add', path: db.name } satisfies CheckpointToWorker);
  }

  /** A last checkpoint of each file, then the thread ends; the connections checkpoint themselves again. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await endWorker(this.worker, CLOSE_TIMEOUT_MS);
      for (const path of [...this.adopted.keys()]) this.giveBack(path);
    })();
    return this.closing;
  }

  private onMessage(m: CheckpointFromWorker): void {
    if (m.type === 'failed') {
      this.logger.warn(
        { path: m.path, error: m.message },
        'WAL checkpoint off the main thread failed: the connection checkpoints itself again',
      );
      this.giveBack(m.path);
    }
  }

  private giveBack(path: string): void {
    const db = this.adopted.get(path);
    this.adopted.delete(path);
    if (db?.open) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT}`);
  }
}
