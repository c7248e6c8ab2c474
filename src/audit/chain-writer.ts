import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AppendResult, ChainWorkerData, FromWorker, ToWorker } from './chain-protocol.js';
import type { NewRecord } from './chain-store.js';

/** This many crashes within CRASH_WINDOW_MS and the writer gives up (record() rejects). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
const CLOSE_TIMEOUT_MS = 10_000;

/** The parent's node options, less those that only make sense for the main script (-e, --input-type). */
function inheritedExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^(-e|--eval|-p|--print|--input-type)$/.test(a)) i++;
    else if (!/^(--eval|--print|--input-type)=/.test(a)) out.push(a);
  }
  return out;
}

/**
 * How to start the writer thread. From the compiled `dist/`: `chain-worker.js` beside this
 * module. From the sources (vitest, tsx): `chain-worker.ts`, which a worker thread cannot load
 * by itself on Node 20 (neither vitest's transform nor tsx's `--import` hooks reach a worker's
 * entry script), so a small bootstrap loads it through tsx's `tsImport` (tsx is a dev
 * dependency, present wherever the sources run).
 */
export function chainWorkerScript(moduleUrl: string = import.meta.url): { script: URL | string; eval: boolean; execArgv: string[] } {
  const execArgv = inheritedExecArgv();
  if (!/\.[cm]?ts$/.test(new URL(moduleUrl).pathname)) return { script: new URL('./chain-worker.js', moduleUrl), eval: false, execArgv };
  const worker = new URL('./chain-worker.ts', moduleUrl).href;
  let pkgFile: string;
  try {
    pkgFile = createRequire(moduleUrl).resolve('tsx/package.json');
  } catch (e) {
    throw new Error(`the audit writer thread needs tsx to run from the TypeScript sources (or run the compiled dist/): ${(e as Error).message}`, { cause: e });
  }
  const exports = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> }).exports;
  const api = exports?.['./esm/api']?.import?.default;
  if (!api) throw new Error(`cannot find tsx's ESM API in ${pkgFile} to start the audit writer thread from the sources`);
  const tsxApi = pathToFileURL(join(dirname(pkgFile), api)).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ tsImport }) => tsImport(${JSON.stringify(worker)}, ${JSON.stringify(moduleUrl)}))`;
  return { script: bootstrap, eval: true, execArgv };
}

interface Pending {
  resolve(results: AppendResult[]): void;
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
  private onClosed: (() => void) | undefined;

  constructor(
    private readonly data: ChainWorkerData,
    private readonly logger: Pick<Logger, 'error' | 'warn' | 'info'>,
  ) {
    this.spawn(); // now, so that the thread's start-up is not paid by the first request
  }

  /** Appends after everything appended before; resolves once committed and fsynced. */
  append(records: NewRecord[]): Promise<AppendResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('audit log is closed'));
    let worker: Worker;
    try {
      worker = this.worker ?? this.spawn();
    } catch (e) {
      return Promise.reject(new Error(`the audit writer thread cannot be started: ${(e as Error).message}`, { cause: e }));
    }
    const batch = this.nextBatch++;
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.inflight.set(batch, { resolve, reject });
      if (this.inflight.size === 1) worker.ref(); // an awaited record keeps the process alive
      worker.postMessage({ type: 'append', batch, records } satisfies ToWorker);
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
      const worker = this.worker;
      if (!worker) return;
      worker.ref();
      const closed = new Promise<void>((resolve) => (this.onClosed = resolve));
      worker.postMessage({ type: 'close' } satisfies ToWorker);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
      await worker.terminate();
    })();
    return this.closing;
  }

  private spawn(): Worker {
    const { script, eval: isEval, execArgv } = chainWorkerScript();
    const worker = new Worker(script, { eval: isEval, execArgv, workerData: this.data, name: 'imaging-bridge-audit-writer' });
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
    } else if (m.type === 'alarm') this.logger.error({ checkpointFile: this.data.checkpointFile, ...(m.detail ? { err: m.detail } : {}) }, m.message);
    else this.onClosed?.();
  }

  private onExit(worker: Worker, code: number, error: Error | undefined): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    this.onClosed?.();
    const why = error ? error.message : `exit code ${code}`;
    const lost = new Error(`the audit writer thread stopped (${why}) before confirming the commit: the record may not be stored`, { cause: error });
    const pending = [...this.inflight.values()];
    this.inflight.clear();
    for (const p of pending) p.reject(lost);
    if (this.closing) return;
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashes.length >= MAX_CRASHES) {
      this.failure = new Error(`the audit writer thread failed ${this.crashes.length} times within a minute (last: ${why}): audit records cannot be stored; restart the server`, { cause: error });
      this.logger.error({ err: error }, this.failure.message);
    } else this.logger.error({ err: error, pending: pending.length }, 'the audit writer thread stopped; the next record starts a new one');
  }
}
