import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { workerScript } from '../core/worker-script.js';
import { deserializeError } from './chain-protocol.js';
import type { FromProjection, ProjectionWorkerData, ToProjection } from './projection-protocol.js';
import type { ChainRecord } from './types.js';

const CLOSE_TIMEOUT_MS = 30_000;
/** A thread that dies this often is not started again: the copies wait for the next start's catch-up. */
const MAX_STARTS = 5;

/**
 * The main thread's side of the projection thread (`projection-worker.ts`): forwards committed
 * chain records (strings: a cheap copy), hands the copy's watermark to the chain writer thread,
 * logs what the thread reports. The records are durable in the chain before they get here; a copy
 * lost with a crashed thread is made again by the catch-up from the watermark (at the thread's
 * next start).
 */
export class ProjectionThread {
  private worker: Worker | undefined;
  private starts = 0;
  private closing: Promise<void> | undefined;
  private onClosed: (() => void) | undefined;
  private resolveCaughtUp!: (copied: number) => void;
  /** Resolves (to the number of records copied again) once the start-up catch-up is done. */
  readonly caughtUp = new Promise<number>((resolve) => (this.resolveCaughtUp = resolve));

  constructor(
    private readonly data: ProjectionWorkerData,
    private readonly watermark: (target: string, upto: number) => void,
    private readonly logger: Pick<Logger, 'error' | 'warn'>,
  ) {
    this.spawn();
  }

  add(records: ChainRecord[]): void {
    if (this.closing) return;
    const worker = this.worker ?? (this.starts < MAX_STARTS ? this.spawn() : undefined);
    worker?.postMessage({ type: 'add', records } satisfies ToProjection);
  }

  /** Lets the thread write what it was given, then ends it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const worker = this.worker;
      if (!worker) return;
      const closed = new Promise<void>((resolve) => (this.onClosed = resolve));
      worker.postMessage({ type: 'close' } satisfies ToProjection);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
      await worker.terminate();
    })();
    return this.closing;
  }

  private spawn(): Worker {
    this.starts += 1;
    const { script, eval: isEval, execArgv } = workerScript('projection-worker', import.meta.url);
    const worker = new Worker(script, {
      eval: isEval,
      execArgv,
      workerData: this.data,
      name: 'imaging-bridge-audit-projection',
    });
    worker.unref();
    let error: Error | undefined;
    worker.on('message', (m: FromProjection) => this.onMessage(m));
    worker.on('error', (e) => (error = e));
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.worker = undefined;
      this.onClosed?.();
      this.resolveCaughtUp(0);
      if (!this.closing)
        this.logger.error(
          { err: error, code },
          'the audit projection thread stopped: AuditEvent copies wait for the catch-up at its next start',
        );
    });
    this.worker = worker;
    return worker;
  }

  private onMessage(m: FromProjection): void {
    if (m.type === 'projected') this.watermark(m.target, m.upto);
    else if (m.type === 'caught-up') {
      if (m.error) this.logger.error({ err: deserializeError(m.error) }, 'audit re-projection failed');
      else if (m.copied > 0)
        this.logger.warn({ copied: m.copied }, 'audit records missing from the FHIR repository were copied again');
      this.resolveCaughtUp(m.copied);
    } else if (m.type === 'log')
      this.logger.error({ ...m.fields, ...(m.err ? { err: deserializeError(m.err) } : {}) }, m.message);
    else this.onClosed?.();
  }
}
