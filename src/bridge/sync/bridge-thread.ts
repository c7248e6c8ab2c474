import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { endWorker } from '../../core/end-worker.js';
import { workerScript } from '../../core/worker-script.js';
import type { WriteEvent } from '../../fhir/repository/observed-repository.js';
import type { CapabilityReport } from './capability-check.js';
import type { SyncEvent } from './sync-worker.js';
import type { BridgeThreadData, FromBridgeThread, ToBridgeThread } from './thread-protocol.js';

const CLOSE_TIMEOUT_MS = 30_000;
/** A thread that stops this often is not started again (the outbox keeps the studies; a restart syncs them). */
const MAX_CRASHES = 5;
const RESTART_DELAY_MS = 1000;
/** The thread ends after this long without a sync and with nothing due. */
export const BRIDGE_THREAD_IDLE_MS = 30_000;

/*
 * No resourceLimits: a 16 MB young generation (V8 lets a thread's grow to 48 MB) saved ≈ 25 MB of
 * RSS but cost ≈ 0.8 ms of CPU per C-STORE instance (bench/cstore-cpu.ts, A/B, session 15).
 */
type Answer = Extract<FromBridgeThread, { type: 'answer' }>;

export interface BridgeThreadOptions {
  /** What the thread is started with (read at each start). */
  data: () => Omit<BridgeThreadData, 'idleMs' | 'spawnedAt'>;
  /** FHIR writes the thread committed, for the server's write listeners (EmbeddedFhir.announce). */
  announce: (events: WriteEvent[]) => void;
  /** Whether the outbox has a row due (Outbox.hasDue on the server's connection): starts the thread. */
  hasWork: () => boolean;
  /** How often hasWork is asked while no thread runs (bridge.pollMs). */
  pollMs: number;
  logger: Logger;
  idleMs?: number;
}

/**
 * The server's side of the bridge's sync thread (`bridge-thread-worker.ts`, config `bridge.thread`):
 * starts it when the outbox has work (one indexed look-up per pollMs while it does not run) and
 * ends it when it reports itself idle, asks it (sync now, status), logs its records with the
 * server's logger, hands the FHIR writes it committed to the embedded server's write listeners
 * (`announce`) and its finished syncs to onSync listeners. Nothing is lost with a thread that
 * stops: the outbox rows stay until their sync is recorded, and the next thread syncs them.
 */
export class BridgeThread {
  private worker: Worker | undefined;
  /** A thread ending (idle): a new one starts after it. */
  private retiring: Promise<void> | undefined;
  private started = false;
  private closing: Promise<void> | undefined;
  private crashes = 0;
  private notBefore = 0;
  private waker: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (a: Answer) => void>();
  private readonly listeners = new Set<(e: SyncEvent) => void>();
  private readonly log: Logger;
  private lastStatus: { inFlight: number; capabilities?: CapabilityReport } = { inFlight: 0 };

  constructor(private readonly options: BridgeThreadOptions) {
    this.log = options.logger.child({ thread: 'bridge-sync' });
  }

  /** Watches the outbox; the thread starts at the first study due. */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.waker = setInterval(() => this.wake(), this.options.pollMs);
    this.waker.unref();
    this.wake();
  }

  /** The running thread, for tests. */
  get thread(): Worker | undefined {
    return this.worker;
  }

  onSync(listener: (e: SyncEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async syncNow(studyUid: string): Promise<void> {
    const a = await this.ask((id) => ({ type: 'sync-now', id, studyUid }));
    if (a.error !== undefined) throw new Error(a.error);
  }

  /** The syncs in flight and the target's capabilities, from the thread (its last answer when none runs). */
  async status(): Promise<{ inFlight: number; capabilities?: CapabilityReport }> {
    if (!this.worker) return { ...this.lastStatus, inFlight: 0 };
    const a = await this.ask((id) => ({ type: 'status', id }));
    if (a.error === undefined)
      this.lastStatus = { inFlight: a.inFlight ?? 0, ...(a.capabilities ? { capabilities: a.capabilities } : {}) };
    return this.lastStatus;
  }

  /** Lets the thread finish its pass, then ends it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.waker);
      await this.retiring;
      const worker = this.worker;
      if (worker) await endWorker(worker, CLOSE_TIMEOUT_MS);
      this.worker = undefined;
      this.answerAll('the bridge thread was closed');
    })();
    return this.closing;
  }

  private wake(): void {
    if (this.worker || this.retiring || this.closing || this.crashes >= MAX_CRASHES) return;
    if (Date.now() < this.notBefore) return;
    let work: boolean;
    try {
      work = this.options.hasWork();
    } catch (err) {
      this.log.error({ err }, 'bridge: reading the outbox failed');
      return;
    }
    if (work) this.spawn();
  }

  private async ask(message: (id: number) => ToBridgeThread): Promise<Answer> {
    await this.retiring;
    if (this.closing) return { type: 'answer', id: 0, error: 'the bridge thread was closed' };
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<Answer>((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage(message(id));
    });
  }

  private answerAll(error: string): void {
    for (const [id, resolve] of this.waiting) resolve({ type: 'answer', id, error });
    this.waiting.clear();
  }

  private retire(): void {
    const worker = this.worker;
    if (!worker || this.closing || this.retiring || this.waiting.size > 0) return;
    this.worker = undefined; // its exit is expected
    this.retiring = endWorker(worker, CLOSE_TIMEOUT_MS).finally(() => {
      this.retiring = undefined;
      this.wake();
    });
  }

  private spawn(): Worker {
    const { script, eval: isEval, execArgv } = workerScript('bridge-thread-worker', import.meta.url);
    const workerData: BridgeThreadData = {
      ...this.options.data(),
      idleMs: this.options.idleMs ?? BRIDGE_THREAD_IDLE_MS,
      spawnedAt: Date.now(),
    };
    const cpuAtSpawn = process.cpuUsage();
    const worker = new Worker(script, {
      eval: isEval,
      execArgv,
      workerData,
      name: 'imaging-bridge-sync',
    });
    worker.unref();
    let error: Error | undefined;
    worker.on('message', (m: FromBridgeThread) => {
      if (m.type === 'ready')
        this.log.debug(
          {
            startMs: Date.now() - workerData.spawnedAt,
            loadMs: m.loadMs,
            openMs: m.openMs,
            cpuMs: m.cpuMs,
            heapUsed: m.heapUsed,
            heapTotal: m.heapTotal,
            // The whole process's CPU meanwhile (the thread's, a module loader's thread from the sources, the server's).
            processCpuMs: Math.round(cpuMs(process.cpuUsage(cpuAtSpawn))),
          },
          'the bridge sync thread started',
        );
      else this.onMessage(m);
    });
    worker.on('error', (e) => (error = e));
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.worker = undefined;
      this.answerAll('the bridge thread stopped');
      if (this.closing) return;
      this.crashes += 1;
      this.notBefore = Date.now() + RESTART_DELAY_MS;
      this.log.error(
        { err: error, code, crashes: this.crashes },
        this.crashes < MAX_CRASHES
          ? 'the bridge sync thread stopped; another starts for the studies due (the outbox keeps them)'
          : 'the bridge sync thread stopped too often: FHIR sync stopped until the server is restarted (the outbox keeps the studies)',
      );
    });
    this.worker = worker;
    worker.postMessage({ type: 'start' } satisfies ToBridgeThread);
    return worker;
  }

  private onMessage(m: FromBridgeThread): void {
    if (m.type === 'writes') this.options.announce(m.events);
    else if (m.type === 'synced') {
      for (const l of this.listeners) {
        try {
          l(m.event);
        } catch (err) {
          this.log.error({ err }, 'sync worker: a sync listener failed');
        }
      }
    } else if (m.type === 'answer') {
      const resolve = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      resolve?.(m);
    } else if (m.type === 'idle') this.retire();
    else if (m.type === 'log') this.relog(m.line);
  }

  /** A record of the thread's pino logger, logged again by the server's (its level, fields and message). */
  private relog(line: string): void {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, ...fields } = record;
    const label = typeof level === 'number' ? this.log.levels.labels[level] : undefined;
    const at = (label ?? 'info') as 'info';
    this.log[at](fields, typeof msg === 'string' ? msg : '');
  }
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
