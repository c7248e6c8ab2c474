/**
 * The patient reads (GET /api/context, GET /api/stroke/assessment) on worker threads, each with
 * its own read-only connection to the embedded fhir.sqlite. On a closed loop of clients the
 * latency is clients × main-thread time per request: moving the searches, resource parsing,
 * assembly and JSON serialisation off the event loop lets a second core work and leaves the main
 * thread HTTP, authorisation and the audit record. The in-process services stay the fallback:
 * for a policy the thread cannot rebuild, a closed pool, or a thread that dies mid-request.
 */
import { Worker } from 'node:worker_threads';
import { HiddenPatient, type AccessPolicy, type ContextRequest, type ContextService } from '../../context/index.js';
import { allowAll } from '../../context/index.js';
import { OperationOutcomeError } from '../../core/errors.js';
import { workerScript } from '../../core/worker-script.js';
import type { Principal } from '../../auth/principal.js';
import type { StrokeRequest } from '../stroke/params.js';
import type { StrokeService } from '../stroke/service.js';
import { contextAnswer, type ReadAnswer, strokeAnswer } from './answers.js';
import type { ReadJob, ReadReply, ReadWorkerData } from './protocol.js';

export interface ReadPoolOptions {
  /** Threads; each takes any number of reads at once (its SQLite connection runs them one by one). */
  size: number;
  worker: ReadWorkerData;
  /** The in-process services: the fallback. */
  context: ContextService;
  stroke?: StrokeService;
  /** Told each time a thread starts. */
  onThreadStart?: (threads: number) => void;
  /** A thread with no read in flight for this long is ended (default READ_THREAD_IDLE_MS). */
  idleMs?: number;
}

/**
 * A thread is a whole isolate with the context stack and its SQLite connection (tens of MB): one
 * with nothing to do for this long is ended; the next read that needs it starts a new one
 * (a cold start of ≈ 1–3 s of that read, docs/benchmarks.md session 10).
 */
export const READ_THREAD_IDLE_MS = 120_000;

interface Slot {
  worker: Worker;
  inFlight: Map<number, Pending>;
  answered: boolean;
  /** Ends the thread once it has been without reads for idleMs (armed while inFlight is empty). */
  idle: NodeJS.Timeout | undefined;
  /** Ended for being idle: its exit is expected. */
  rested: boolean;
}

const MAX_FAILED_STARTS = 3;

interface Pending {
  job: ReadJob;
  policy: AccessPolicy;
  resolve: (a: ReadAnswer) => void;
  reject: (e: Error) => void;
}

/** A job before it has an id and a principal (Omit over each member of the union). */
type OnThread = ReadJob extends infer J ? (J extends ReadJob ? Omit<J, 'id' | 'principal'> : never) : never;

export class ReadPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** Threads in a row that ended before answering anything: at MAX_FAILED_STARTS the pool stops using threads. */
  private failedStarts = 0;
  /** Reads answered by a thread / in process (tests and the debug log look at these). */
  readonly counts = { threads: 0, inProcess: 0 };

  private readonly idleMs: number;

  constructor(private readonly o: ReadPoolOptions) {
    this.idleMs = o.idleMs ?? READ_THREAD_IDLE_MS;
  }

  /** Threads started so far (none until the first read). */
  get threads(): number {
    return this.slots.length;
  }

  context(request: ContextRequest, policy: AccessPolicy, asBundle: boolean): Promise<ReadAnswer> {
    return this.submit({ kind: 'context', request, asBundle }, policy);
  }

  stroke(request: StrokeRequest, policy: AccessPolicy): Promise<ReadAnswer> {
    return this.submit({ kind: 'stroke', request }, policy);
  }

  /** False once threads failed MAX_FAILED_STARTS times in a row without answering: every read is then in process. */
  get usable(): boolean {
    return !this.closed && this.failedStarts < MAX_FAILED_STARTS;
  }

  /** Ends every thread at once, reads in flight and all (what a crashed thread looks like; for tests). */
  async kill(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.splice(0).map((s) => {
        clearTimeout(s.idle);
        return s.worker.terminate();
      }),
    );
  }

  private submit(job: OnThread, policy: AccessPolicy): Promise<ReadAnswer> {
    const principal = principalOf(policy);
    if (this.closed || this.failedStarts >= MAX_FAILED_STARTS || principal === null) return this.inProcess(job, policy);
    return new Promise<ReadAnswer>((resolve, reject) => {
      const id = this.nextId++;
      const full = { ...job, id, ...(principal ? { principal } : {}) } as ReadJob;
      const slot = this.pick();
      clearTimeout(slot.idle);
      slot.idle = undefined;
      slot.inFlight.set(id, { job: full, policy, resolve, reject });
      try {
        slot.worker.postMessage(full);
      } catch {
        // Something in the request that cannot be cloned to a thread: answered here instead.
        slot.inFlight.delete(id);
        this.restWhenIdle(slot);
        this.inProcess(job, policy).then(resolve, reject);
      }
    });
  }

  private inProcess(job: OnThread, policy: AccessPolicy): Promise<ReadAnswer> {
    this.counts.inProcess++;
    if (job.kind === 'context') return contextAnswer(this.o.context, job.request, policy, job.asBundle);
    if (!this.o.stroke) return Promise.reject(new Error('no stroke service'));
    return strokeAnswer(this.o.stroke, job.request, policy);
  }

  /** The thread with the fewest reads in flight; a new one while fewer than `size` run. */
  private pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.inFlight.size < best.inFlight.size) best = s;
    if (best && (best.inFlight.size === 0 || this.slots.length >= this.o.size)) return best;
    return this.spawn();
  }

  private spawn(): Slot {
    const { script, eval: isEval, execArgv } = workerScript('read-worker', import.meta.url);
    const worker = new Worker(script, {
      eval: isEval,
      execArgv,
      name: 'imaging-bridge-read',
      workerData: this.o.worker,
    });
    worker.unref();
    const slot: Slot = { worker, inFlight: new Map(), answered: false, idle: undefined, rested: false };
    this.slots.push(slot);
    this.o.onThreadStart?.(this.slots.length);
    worker.on('message', (reply: ReadReply) => {
      const pending = slot.inFlight.get(reply.id);
      if (!pending) return;
      slot.inFlight.delete(reply.id);
      this.restWhenIdle(slot);
      this.counts.threads++;
      slot.answered = true;
      this.failedStarts = 0;
      if (reply.ok) {
        const { id: _id, ok: _ok, ...answer } = reply;
        pending.resolve(answer);
      } else pending.reject(rebuild(reply));
    });
    worker.on('error', () => undefined);
    // A thread that dies (a crash, a failed open) hands its reads to the in-process services;
    // the next read starts a new thread.
    worker.on('exit', () => {
      clearTimeout(slot.idle);
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      // One that cannot even start (fhir.sqlite unreadable there) would otherwise be retried by every read.
      if (!slot.answered && !this.closed && !slot.rested) this.failedStarts++;
      for (const p of slot.inFlight.values()) {
        const { id: _id, principal: _principal, ...job } = p.job;
        this.inProcess(job, p.policy).then(p.resolve, p.reject);
      }
      slot.inFlight.clear();
    });
    return slot;
  }

  /** Arms the slot's idle timer once it has no read in flight. */
  private restWhenIdle(slot: Slot): void {
    if (slot.inFlight.size > 0 || this.closed) return;
    clearTimeout(slot.idle);
    slot.idle = setTimeout(() => {
      if (slot.inFlight.size > 0) return;
      slot.rested = true;
      // Out of the pool at once, so that no read is given to it while it ends.
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      void slot.worker.terminate();
    }, this.idleMs);
    slot.idle.unref();
  }
}

/** undefined: everything (`auth none`); a Principal: the thread rebuilds its policy; null: cannot travel. */
function principalOf(policy: AccessPolicy): Principal | undefined | null {
  if (policy === allowAll) return undefined;
  return policy.principal ?? null;
}

function rebuild(reply: Extract<ReadReply, { ok: false }>): Error {
  if (reply.status === undefined || !reply.outcome) return new Error(reply.message);
  if (reply.hiddenPatientId !== undefined) {
    const text = reply.outcome.issue[0]?.diagnostics ?? reply.message;
    return new HiddenPatient(text, reply.hiddenPatientId);
  }
  return new OperationOutcomeError(reply.status, reply.outcome, reply.headers);
}

/**
 * None on 2 cores or fewer: measured there (docs/benchmarks.md, session 10), one read thread moved
 * the bottleneck from the event loop to itself (P8/P10 no faster) and its cold start held the
 * first reads ≈ 3 s. From 4 cores one or two threads, on cores the event loop does not use.
 */
export function defaultReadThreads(cores: number): number {
  return cores <= 2 ? 0 : Math.min(2, cores - 2);
}
