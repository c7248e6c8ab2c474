import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { endWorker } from '../core/end-worker.js';
import { SERVICE_THREAD_LIMITS, workerScript, type WorkerScript } from '../core/worker-script.js';
import { type AuditEntry, builtHere } from './audit-entry.js';
import type { ChainWorkerData, EntryResult, FromWorker, ToWorker } from './chain-protocol.js';

/** This many crashes within CRASH_WINDOW_MS and the writer gives up (record() rejects). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
const CLOSE_TIMEOUT_MS = 10_000;

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
 */
export class ChainWriter {
  private worker: Worker | undefined;
  private readonly inflight = new Map<number, Pending>();
  private nextBatch = 1;
  private crashes: number[] = [];
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly data: ChainWorkerData,
    private readonly logger: Pick<Logger, 'error' | 'warn' | 'info'>,
  ) {
    this.spawn(); // now, so that the thread's start-up is not paid by the first request
  }

  /**
   * The thread builds the entries' records and appends them after everything appended before;
   * resolves (one result per entry) once committed and fsynced.
   */
  append(entries: AuditEntry[]): Promise<EntryResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('audit log is closed'));
    let worker: Worker;
    try {
      worker = this.worker ?? this.spawn();
    } catch (e) {
      return Promise.reject(
        new Error(`the audit writer thread cannot be started: ${(e as Error).message}`, { cause: e }),
      );
    }
    const batch = this.nextBatch++;
    return new Promise<EntryResult[]>((resolve, reject) => {
      try {
        worker.postMessage({ type: 'append', batch, entries } satisfies ToWorker);
      } catch (e) {
        // Structured clone refused a value (DataCloneError): the records are built here instead.
        if ((e as Error).name !== 'DataCloneError') throw e;
        worker.postMessage({ type: 'append', batch, entries: builtHere(entries) } satisfies ToWorker);
      }
      this.inflight.set(batch, { resolve, reject });
      if (this.inflight.size === 1) worker.ref(); // an awaited record keeps the process alive
    });
  }

  /** Fire and forget: a lost watermark only makes the next catch-up longer. */
  setProjectedUpTo(target: string, upto: number): void {
    this.worker?.postMessage({ type: 'projected', target, upto } satisfies ToWorker);
  }

  /** The running thread, for tests. */
  get thread(): Worker | undefined {
    return this.worker;
  }

  /** Lets the thread finish what was posted, close its database, then ends it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.worker) await endWorker(this.worker, CLOSE_TIMEOUT_MS);
    })();
    return this.closing;
  }

  private spawn(): Worker {
    const { script, eval: isEval, execArgv } = chainWorkerScript();
    const worker = new Worker(script, {
      eval: isEval,
      execArgv,
      workerData: this.data,
      name: 'imaging-bridge-audit-writer',
      resourceLimits: SERVICE_THREAD_LIMITS,
    });
    worker.unref();
    let error: Error | undefined;
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => (error = e));
    worker.on('exit', (code) => this.onExit(worker, code, error));
    this.worker = worker;
    return worker;
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'appended') {
      const pending = this.inflight.get(m.batch);
      this.inflight.delete(m.batch);
      if (this.inflight.size === 0 && !this.closing) this.worker?.unref();
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
