import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { endWorker } from '../core/end-worker.js';
import { ServiceThread, type ServiceThreadLike } from '../core/service-thread.js';
import { startServiceThread, workerScript } from '../core/worker-script.js';
import { deserializeError } from './chain-protocol.js';
import type { FromProjection, ProjectionWorkerData, ToProjection } from './projection-protocol.js';
import type { ChainRecord } from './types.js';

const CLOSE_TIMEOUT_MS = 30_000;
/** A thread that crashes this often is not started again: the copies wait for the next start's catch-up. */
const MAX_CRASHES = 5;
/** The thread ends after this long without records (its isolate, FHIR indexer and connections: ≈ 24 MB). */
export const PROJECTION_IDLE_MS = 30_000;

/** The kind of a ServiceThread part that runs the projection (projection-worker.ts's runProjection). */
export const PROJECTION_PART = 'audit-projection';

/** The server's shared background thread: the audit projection and the WAL checkpointer (service-thread-worker.ts). */
export function backgroundServiceThread(): ServiceThread {
  return new ServiceThread(() => workerScript('service-thread-worker', import.meta.url), 'imaging-bridge-background');
}

export interface ProjectionThreadOptions {
  /** The chain holds records the FHIR copy lacks: start now and catch up (else at the first record). */
  behind: boolean;
  idleMs?: number;
  /** A thread shared with other background services to run in (the server's), else one of its own. */
  host?: ServiceThread;
}

/**
 * The main thread's side of the projection thread (`projection-worker.ts`): forwards committed
 * chain records (strings: a cheap copy), hands the copy's watermark to the chain writer thread,
 * logs what the thread reports. The records are durable in the chain before they get here; a copy
 * lost with a crashed thread is made again by the catch-up from the watermark (at the thread's
 * next start).
 *
 * The thread runs only while there is copying to do: it starts at the first record (or at once
 * when the chain is ahead of the copy), and ends after `idleMs` without records; everything it
 * needs is on disk (the watermark), so the next one catches up from there. A server that audits
 * nothing does not hold it.
 */
export class ProjectionThread {
  private worker: ServiceThreadLike | undefined;
  private crashes = 0;
  private closing: Promise<void> | undefined;
  /** An idle thread finishing: records that arrive meanwhile wait for it, then go to a new one. */
  private retiring: Promise<void> | undefined;
  private waiting: ChainRecord[] = [];
  private idle: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  private readonly host: ServiceThread | undefined;
  private resolveCaughtUp!: (copied: number) => void;
  /** Resolves (to the number of records copied again) once the start-up catch-up is done. */
  readonly caughtUp = new Promise<number>((resolve) => (this.resolveCaughtUp = resolve));

  constructor(
    private readonly data: ProjectionWorkerData,
    private readonly watermark: (target: string, upto: number) => void,
    private readonly logger: Pick<Logger, 'error' | 'warn'>,
    opts: ProjectionThreadOptions = { behind: true },
  ) {
    this.idleMs = opts.idleMs ?? PROJECTION_IDLE_MS;
    this.host = opts.host;
    if (opts.behind) this.spawn();
    else this.resolveCaughtUp(0);
  }

  /** The running thread, for tests. */
  get thread(): ServiceThreadLike | undefined {
    return this.worker;
  }

  add(records: ChainRecord[]): void {
    if (this.closing) return;
    if (this.retiring) {
      this.waiting.push(...records);
      return;
    }
    const worker = this.worker ?? (this.crashes < MAX_CRASHES ? this.spawn() : undefined);
    this.idle?.refresh();
    worker?.postMessage({ type: 'add', records } satisfies ToProjection);
  }

  /** Lets the thread write what it was given, then ends it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.idle);
      await this.retiring;
      if (this.worker) await endWorker(this.worker, CLOSE_TIMEOUT_MS);
    })();
    return this.closing;
  }

  private retire(): void {
    const worker = this.worker;
    if (!worker || this.closing || this.retiring) return;
    this.worker = undefined; // its exit is expected
    this.retiring = endWorker(worker, CLOSE_TIMEOUT_MS).finally(() => {
      this.retiring = undefined;
      const records = this.waiting.splice(0);
      if (records.length) this.add(records);
    });
  }

  private spawn(): ServiceThreadLike {
    const worker = this.host ? this.host.attach(PROJECTION_PART, this.data) : this.ownThread();
    worker.unref();
    let error: Error | undefined;
    worker.on('message', (m: FromProjection) => this.onMessage(m));
    worker.on('error', (e) => (error = e));
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.worker = undefined;
      clearTimeout(this.idle);
      this.resolveCaughtUp(0);
      if (this.closing) return;
      this.crashes += 1;
      this.logger.error(
        { err: error, code },
        'the audit projection thread stopped: AuditEvent copies wait for the catch-up at its next start',
      );
    });
    this.worker = worker;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.retire(), this.idleMs);
    this.idle.unref();
    return worker;
  }

  private ownThread(): Worker {
    return startServiceThread(
      workerScript('projection-thread-main', import.meta.url),
      'imaging-bridge-audit-projection',
      this.data,
    );
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
  }
}
