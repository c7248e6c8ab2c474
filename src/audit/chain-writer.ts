import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { endWorker } from '../core/end-worker.js';
import { startServiceThread, workerScript, type WorkerScript } from '../core/worker-script.js';
import { type AuditEntry, builtHere } from './audit-entry.js';
import type { ChainWorkerData, EntryResult, FromWorker, ToWorker } from './chain-protocol.js';

/** This many crashes within CRASH_WINDOW_MS and the writer gives up (record() rejects). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
const CLOSE_TIMEOUT_MS = 10_000;
/**
 * The thread ends after this long with nothing to commit (its isolate and connection: ≈ 7 MB of
 * RSS) and starts again at the next record, as the WAL checkpoint thread rests (docs/ingest-memory.md).
 */
export const WRITER_IDLE_MS = 30_000;

/** How to start the writer thread (from dist/ or, through tsx, from the sources). */
export function chainWorkerScript(moduleUrl: string = import.meta.url): WorkerScript {
  return workerScript('chain-worker', moduleUrl);
}

interface Pending {
  resolve(results: EntryResult[]): void;
  reject(e: Error): void;
}

/**
 * The main thread's side of the writer thread: posts batches, resolves each with the worker's
 * per-record results once committed. If the thread dies, what it had not answered is rejected
 * (a record is never acknowledged without its commit) and the next batch starts a new thread;
 * after MAX_CRASHES within a minute the writer gives up and every append rejects.
 *
 * The thread rests while there is nothing to write: `idleMs` after its last answer (and with no
 * batch in flight) it is ended as at close (it commits what it was sent, writes the last
 * checkpoint move, closes its connection); the next batch or watermark starts a new one. What
 * arrives while a resting thread finishes waits for it, in order, then goes to the new one. Its
 * start-up check (a truncated chain, a stale or missing checkpoint) runs again at each start.
 */
export class ChainWriter {
  private worker: Worker | undefined;
  private readonly inflight = new Map<number, Pending>();
  private nextBatch = 1;
  private crashes: number[] = [];
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  /** A resting thread finishing: messages that arrive meanwhile wait for it, then go to a new one. */
  private retiring: Promise<void> | undefined;
  private waiting: ToWorker[] = [];
  private idle: NodeJS.Timeout | undefined;
  private readonly idleMs: number;

  constructor(
    private readonly data: ChainWorkerData,
    private readonly logger: Pick<Logger, 'error' | 'warn' | 'info'>,
    opts: { idleMs?: number } = {},
  ) {
    this.idleMs = opts.idleMs ?? WRITER_IDLE_MS;
    this.spawn(); // now, so that the thread's start-up is not paid by the first request
  }

  /**
   * The thread builds the entries' records and appends them after everything appended before;
   * resolves (one result per entry) once committed and fsynced.
   */
  append(entries: AuditEntry[]): Promise<EntryResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('audit log is closed'));
    const batch = this.nextBatch++;
    const message: ToWorker = { type: 'append', batch, entries };
    if (this.retiring) {
      // Sent once the resting thread has ended, after what was sent before (see restart()).
      return new Promise<EntryResult[]>((resolve, reject) => {
        this.inflight.set(batch, { resolve, reject });
        this.waiting.push(message);
      });
    }
    let worker: Worker;
    try {
      worker = this.worker ?? this.spawn();
    } catch (e) {
      return Promise.reject(startError(e));
    }
    return new Promise<EntryResult[]>((resolve, reject) => {
      send(worker, message);
      this.inflight.set(batch, { resolve, reject });
      if (this.inflight.size === 1) worker.ref(); // an awaited record keeps the process alive
    });
  }

  /** Fire and forget: a lost watermark only makes the next catch-up longer. */
  setProjectedUpTo(target: string, upto: number): void {
    if (this.closing && !this.worker) return;
    const message: ToWorker = { type: 'projected', target, upto };
    if (this.retiring) this.waiting.push(message);
    else {
      try {
        (this.worker ?? this.spawn()).postMessage(message);
      } catch {
        // No thread can be started: the next append reports why.
      }
    }
  }

  /** The running thread, for tests. */
  get thread(): Worker | undefined {
    return this.worker;
  }

  /** Lets the thread finish what was posted, close its database, then ends it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.idle);
      await this.retiring; // what waited for it is sent to a new thread meanwhile
      if (this.worker) await endWorker(this.worker, CLOSE_TIMEOUT_MS);
    })();
    return this.closing;
  }

  /** Ends an idle thread (as close() does); the next message starts a new one. */
  private rest(): void {
    const worker = this.worker;
    if (!worker || this.closing || this.retiring || this.inflight.size > 0) return;
    this.worker = undefined; // its exit is expected
    this.retiring = endWorker(worker, CLOSE_TIMEOUT_MS).finally(() => this.restart());
  }

  /** After a rest: what arrived meanwhile goes, in order, to a new thread. */
  private restart(): void {
    this.retiring = undefined;
    const messages = this.waiting.splice(0);
    if (!messages.length) return;
    let worker: Worker;
    try {
      worker = this.worker ?? this.spawn();
    } catch (e) {
      const error = startError(e);
      for (const m of messages) if (m.type === 'append') this.settle(m.batch)?.reject(error);
      return;
    }
    for (const m of messages) {
      try {
        send(worker, m);
      } catch (e) {
        if (m.type === 'append') this.settle(m.batch)?.reject(e as Error);
      }
    }
    if (this.inflight.size > 0) worker.ref(); // an awaited record keeps the process alive
  }

  private settle(batch: number): Pending | undefined {
    const pending = this.inflight.get(batch);
    this.inflight.delete(batch);
    return pending;
  }

  private spawn(): Worker {
    const worker = startServiceThread(chainWorkerScript(), 'imaging-bridge-audit-writer', this.data);
    worker.unref();
    let error: Error | undefined;
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => (error = e));
    worker.on('exit', (code) => this.onExit(worker, code, error));
    this.worker = worker;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.rest(), this.idleMs);
    this.idle.unref();
    return worker;
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'appended') {
      const pending = this.settle(m.batch);
      if (this.inflight.size === 0 && !this.closing) this.worker?.unref();
      this.idle?.refresh();
      pending?.resolve(m.results);
    } else if (m.type === 'alarm')
      this.logger.error(
        { checkpointFile: this.data.checkpointFile, ...(m.detail ? { err: m.detail } : {}) },
        m.message,
      );
  }

  private onExit(worker: Worker, code: number, error: Error | undefined): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    clearTimeout(this.idle);
    const why = error ? error.message : `exit code ${code}`;
    const lost = new Error(
      `the audit writer thread stopped (${why}) before confirming the commit: the record may not be stored`,
      { cause: error },
    );
    const pending = [...this.inflight.values()];
    this.inflight.clear();
    for (const p of pending) p.reject(lost);
    if (this.closing) return;
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashes.length >= MAX_CRASHES) {
      this.failure = new Error(
        `the audit writer thread failed ${this.crashes.length} times within a minute (last: ${why}): audit records cannot be stored; restart the server`,
        { cause: error },
      );
      this.logger.error({ err: error }, this.failure.message);
    } else
      this.logger.error(
        { err: error, pending: pending.length },
        'the audit writer thread stopped; the next record starts a new one',
      );
  }
}

/** Posts to the thread; an entry structured clone refuses (DataCloneError) is built here instead. */
function send(worker: Worker, m: ToWorker): void {
  try {
    worker.postMessage(m);
  } catch (e) {
    if (m.type !== 'append' || (e as Error).name !== 'DataCloneError') throw e;
    worker.postMessage({ ...m, entries: builtHere(m.entries) } satisfies ToWorker);
  }
}

function startError(e: unknown): Error {
  return new Error(`the audit writer thread cannot be started: ${(e as Error).message}`, { cause: e });
}
