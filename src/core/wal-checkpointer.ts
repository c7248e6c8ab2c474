import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { endWorker } from './end-worker.js';
import type { ServiceThread, ServiceThreadLike } from './service-thread.js';
import type { SqliteKeys } from './sqlite-open.js';
import { startServiceThread, workerScript } from './worker-script.js';

export interface CheckpointWorkerData {
  intervalMs: number;
  /** A WAL holding more than this many bytes of frames is rewound (RESTART) after its checkpoint. */
  restartWalBytes: number;
  /** The databases are encrypted at rest with one of these keys. */
  sqliteKeys?: SqliteKeys;
}
export type CheckpointToWorker = { type: 'add'; path: string } | { type: 'close' };
export type CheckpointFromWorker =
  | { type: 'added'; path: string }
  | { type: 'failed'; path: string; message: string }
  | { type: 'closed' };

/** The kind of a ServiceThread part that runs the checkpoints (wal-checkpoint-worker.ts's runCheckpoints). */
export const CHECKPOINT_PART = 'wal-checkpoints';
/** SQLite's default: a checkpoint when a commit leaves the WAL over 1000 pages. */
const SQLITE_AUTOCHECKPOINT = 1000;
const CLOSE_TIMEOUT_MS = 10_000;
/**
 * A WAL past this size is rewound: without it, writes that never pause (P3 over 4 associations)
 * keep a file growing without end (issue 21: fhir.sqlite-wal 676 MB, index.sqlite-wal 341 MB for
 * 10,000 instances). See the worker's checkpointAll.
 */
const RESTART_WAL_BYTES = 16 * 1024 * 1024;
/** The thread ends after this long without a write to any adopted WAL (an isolate is ≈ 7 MB of RSS). */
const IDLE_STOP_MS = 30_000;

/** What a WAL file looked like at the last look: a commit changes its mtime (and mostly its size). */
function walStamp(dbPath: string): string {
  const s = statSync(`${dbPath}-wal`, { bigint: true, throwIfNoEntry: false });
  return s ? `${s.mtimeNs}:${s.size}` : '';
}

/**
 * Moves the WAL checkpoints of SQLite databases off the event loop. By default the connection
 * whose commit takes the WAL past 1000 pages runs the checkpoint itself — page copies and two
 * fsyncs inside that commit, on the main thread (under the patient-context load of P8, where
 * every request adds an AuditEvent copy, about 7 % of the main thread and a stall for whichever
 * requests wait behind it). adopt() turns that off for the connection and a worker thread
 * checkpoints the file every `intervalMs` through its own connection instead (and rewinds a WAL
 * grown past `restartWalBytes`, see the worker). If the worker
 * cannot (it failed to open the file, or the thread died), the connection checkpoints itself again.
 *
 * The thread runs only while the databases are written (issue 21, idle RSS): after `idleStopMs`
 * without a change to any adopted WAL file it checkpoints once more and ends; the main thread
 * then looks at the WAL files (one stat each per interval) and starts it again at the first
 * change, so a WAL written while the thread rests is checkpointed at most one interval later.
 */
export class WalCheckpointer {
  private worker: ServiceThreadLike | undefined;
  private stopping: Promise<void> | undefined;
  private readonly adopted = new Map<string, { db: Database.Database; stamp: string }>();
  private monitor: NodeJS.Timeout | undefined;
  private lastWrite = 0;
  private stoppedAt = 0;
  private failed = false;
  private closing: Promise<void> | undefined;
  private starts = 0;

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly intervalMs = 1000,
    private readonly sqliteKeys?: SqliteKeys,
    private readonly idleStopMs = IDLE_STOP_MS,
    private readonly restartWalBytes = RESTART_WAL_BYTES,
    /** A thread shared with other background services to run in (the server's), else one of its own. */
    private readonly host?: ServiceThread,
  ) {}

  /** Whether the checkpoint thread runs now, its last checkpoint included (for tests). */
  get threadRunning(): boolean {
    return this.worker !== undefined;
  }

  /** How often the thread was started (for tests). */
  get threadStarts(): number {
    return this.starts;
  }

  /** The worker checkpoints `db`'s file from now on; `db` no longer does it in its commits. */
  adopt(db: Database.Database): void {
    if (this.closing || this.failed || this.adopted.has(db.name)) return;
    db.pragma('wal_autocheckpoint = 0');
    this.adopted.set(db.name, { db, stamp: walStamp(db.name) });
    this.lastWrite = Date.now();
    if (this.worker) this.worker.postMessage({ type: 'add', path: db.name } satisfies CheckpointToWorker);
    else if (!this.stopping) this.startThread();
    if (!this.monitor) {
      this.monitor = setInterval(() => this.look(), this.intervalMs);
      this.monitor.unref();
    }
  }

  /** A last checkpoint of each file, then the thread ends; the connections checkpoint themselves again. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.monitor);
      await this.stopping;
      if (this.worker) await endWorker(this.worker, CLOSE_TIMEOUT_MS);
      this.worker = undefined;
      for (const path of [...this.adopted.keys()]) this.giveBack(path);
    })();
    return this.closing;
  }

  /** Once per interval on the main thread: a write starts the resting thread; a long quiet ends it. */
  private look(): void {
    if (this.closing || this.failed) return;
    for (const a of this.adopted.values()) {
      const stamp = walStamp(a.db.name);
      if (stamp !== a.stamp) {
        a.stamp = stamp;
        this.lastWrite = Date.now();
      }
    }
    if (!this.worker && !this.stopping && this.lastWrite >= this.stoppedAt) this.startThread();
    else if (this.worker && !this.stopping && Date.now() - this.lastWrite >= this.idleStopMs) this.stopWhileIdle();
  }

  private startThread(): void {
    const data: CheckpointWorkerData = {
      intervalMs: this.intervalMs,
      restartWalBytes: this.restartWalBytes,
      ...(this.sqliteKeys ? { sqliteKeys: this.sqliteKeys } : {}),
    };
    const worker = this.host ? this.host.attach(CHECKPOINT_PART, data) : this.ownThread(data);
    this.worker = worker;
    this.starts += 1;
    worker.unref();
    worker.on('message', (m: CheckpointFromWorker) => this.onMessage(m));
    worker.on('error', (err) =>
      this.logger.warn({ err }, 'WAL checkpoint thread failed: connections checkpoint themselves again'),
    );
    worker.on('exit', () => {
      // Ended by stopWhileIdle or close: expected. Otherwise the thread died: no more restarts.
      if (this.worker !== worker || this.stopping || this.closing) return;
      this.worker = undefined;
      this.failed = true;
      clearInterval(this.monitor);
      for (const path of [...this.adopted.keys()]) this.giveBack(path);
    });
    for (const path of this.adopted.keys()) worker.postMessage({ type: 'add', path } satisfies CheckpointToWorker);
  }

  private ownThread(data: CheckpointWorkerData): Worker {
    return startServiceThread(
      workerScript('wal-checkpoint-thread', import.meta.url),
      'imaging-bridge-wal-checkpoint',
      data,
    );
  }

  /** The thread's last checkpoint of every file, then it ends; the connections stay adopted. */
  private stopWhileIdle(): void {
    const worker = this.worker;
    if (!worker) return;
    this.stoppedAt = Date.now();
    this.stopping = endWorker(worker, CLOSE_TIMEOUT_MS).finally(() => {
      this.worker = undefined;
      this.stopping = undefined;
    });
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
    const db = this.adopted.get(path)?.db;
    this.adopted.delete(path);
    if (db?.open) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT}`);
  }
}
