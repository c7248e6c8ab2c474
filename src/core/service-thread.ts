import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { startServiceThread, type WorkerScript } from './worker-script.js';

// biome-ignore lint/suspicious/noExplicitAny: the listener type of Worker and EventEmitter themselves
type Listener = (...args: any[]) => void;

/** What a service's main-thread side uses of its thread: a Worker of its own, or a part of a shared one. */
export interface ServiceThreadLike {
  postMessage(message: unknown): void;
  /** 'message', 'error' (an Error), 'exit' (the exit code). */
  on(event: string, listener: Listener): this;
  once(event: string, listener: Listener): this;
  off(event: string, listener: Listener): this;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

/** What the shared thread's script receives to start a part: its kind, its data and its own port. */
export interface AttachPart {
  type: 'attach';
  kind: string;
  data: unknown;
  port: MessagePort;
}

/**
 * One worker thread hosting several background services (issue 21: each isolate is ≈ 10.8 MB of
 * RSS). Each service attaches a part: the thread's script (given by the caller, it knows the
 * kinds) starts that service's worker-side logic on a MessagePort of its own, so each keeps its
 * own messages, start and end. The thread starts with the first part and ends with the last. If
 * it dies, every part attached sees `error` and `exit`, as it would its own Worker's.
 */
export class ServiceThread {
  private worker: Worker | undefined;
  private readonly parts = new Set<HostedPart>();
  private readonly refs = new Set<HostedPart>();
  private starts = 0;

  constructor(
    private readonly script: () => WorkerScript,
    private readonly name: string,
  ) {}

  /** Whether the thread runs now (for tests). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** How often the thread was started (for tests). */
  get threadStarts(): number {
    return this.starts;
  }

  attach(kind: string, data: unknown): ServiceThreadLike {
    const worker = this.worker ?? this.start();
    const { port1, port2 } = new MessageChannel();
    const part = new HostedPart(
      port1,
      (p) => this.detach(p),
      (p, on) => this.setRef(p, on),
    );
    this.parts.add(part);
    worker.postMessage({ type: 'attach', kind, data, port: port2 } satisfies AttachPart, [port2]);
    return part;
  }

  private start(): Worker {
    const worker = startServiceThread(this.script(), this.name);
    this.starts += 1;
    worker.unref();
    let error: Error | undefined;
    worker.on('error', (e) => (error = e));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const parts = [...this.parts];
      this.parts.clear();
      this.refs.clear();
      for (const p of parts) p.died(error, code);
    });
    this.worker = worker;
    return worker;
  }

  private detach(part: HostedPart): void {
    if (!this.parts.delete(part)) return;
    this.setRef(part, false);
    if (this.parts.size === 0 && this.worker) {
      const worker = this.worker;
      this.worker = undefined;
      void worker.terminate();
    }
  }

  private setRef(part: HostedPart, on: boolean): void {
    if (on && this.parts.has(part)) this.refs.add(part);
    else this.refs.delete(part);
    if (this.refs.size > 0) this.worker?.ref();
    else this.worker?.unref();
  }
}

/** A service's side of its part of a ServiceThread: used as its own Worker would be. */
class HostedPart extends EventEmitter implements ServiceThreadLike {
  private ended = false;

  constructor(
    private readonly port: MessagePort,
    private readonly onEnd: (p: HostedPart) => void,
    private readonly onRef: (p: HostedPart, on: boolean) => void,
  ) {
    super();
    port.on('message', (m) => this.emit('message', m));
    // The worker side closed its port (its service ended by itself).
    port.on('close', () => this.end(0));
    port.unref();
  }

  postMessage(message: unknown): void {
    if (!this.ended) this.port.postMessage(message);
  }

  ref(): void {
    this.onRef(this, true);
  }

  unref(): void {
    this.onRef(this, false);
  }

  /** Detaches the part (the thread ends if it was the last); its service should have closed first. */
  terminate(): Promise<number> {
    this.end(1);
    return Promise.resolve(1);
  }

  /** The shared thread died. */
  died(error: Error | undefined, code: number): void {
    if (this.ended) return;
    if (error) this.emit('error', error);
    this.end(code, false);
  }

  private end(code: number, detach = true): void {
    if (this.ended) return;
    this.ended = true;
    this.port.close();
    if (detach) this.onEnd(this);
    queueMicrotask(() => this.emit('exit', code));
  }
}
