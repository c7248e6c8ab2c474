import { Worker } from 'node:worker_threads';
import { notAcceptable, serviceUnavailable } from '../../core/errors.js';
import { workerScript } from '../../core/worker-script.js';
import type { RenderInput } from '../../dicom/render/pixel-input.js';
import type { RenderOptions } from './render-params.js';

/** One frame to render: `input.frames` holds that frame only. */
export interface RenderJob {
  id: number;
  input: RenderInput;
  options: RenderOptions;
}

/** What a render thread is started with. */
export interface RenderWorkerData {
  nice: number;
}

export type RenderReply =
  | { id: number; ok: true; image: Uint8Array }
  | { id: number; ok: false; undecodable: boolean; message: string };

export interface RenderPoolOptions {
  /** Worker threads; each renders one frame at a time. */
  size: number;
  /** Frames that may wait for a thread; more are refused with 503 and Retry-After. */
  queueLimit: number;
  /** A frame that takes longer ends its thread (a codec stuck on hostile data) and fails. */
  jobTimeoutMs?: number;
  /**
   * Nice value of each render thread (Linux only, where the nice value is per thread: it lowers
   * that thread and what it starts, not the event loop nor ingest). 0 = unchanged.
   */
  nice?: number;
  /** Told each time a thread starts (the server logs it at debug level). */
  onThreadStart?: (threads: number) => void;
}

interface Pending {
  job: RenderJob;
  resolve: (image: Buffer) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  current?: Pending;
  timer?: NodeJS.Timeout;
}

/**
 * Rendering off the event loop: a fixed set of worker threads fed from a bounded queue. A burst
 * of thumbnail requests waits here (or is refused) instead of taking the main thread from QIDO
 * and STOW. Threads start on demand: the first rendered or thumbnail request starts one, so a
 * server that never renders (and its start-up) pays nothing for them.
 */
export class RenderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: RenderPoolOptions) {}

  /** Frames being rendered or waiting. */
  get load(): number {
    return this.queue.length + this.slots.filter((s) => s.current).length;
  }

  render(input: RenderInput, options: RenderOptions): Promise<Buffer> {
    if (this.closed) return Promise.reject(serviceUnavailable('the server is shutting down'));
    if (this.queue.length >= this.opts.queueLimit)
      return Promise.reject(
        serviceUnavailable(
          `rendering is busy (${this.load} frames in progress or waiting); try again shortly`,
          undefined,
          {
            'retry-after': '1',
          },
        ),
      );
    return new Promise<Buffer>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, input, options }, resolve, reject });
      this.dispatch();
    });
  }

  /** Threads started so far (none until the first frame is asked for). */
  get threads(): number {
    return this.slots.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(serviceUnavailable('the server is shutting down'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.current);
      if (!slot && this.slots.length < this.opts.size) slot = this.spawn();
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.current = pending;
      if (this.opts.jobTimeoutMs) {
        slot.timer = setTimeout(() => void slot!.worker.terminate(), this.opts.jobTimeoutMs);
        slot.timer.unref();
      }
      const frames = pending.job.input.frames.map((f) => new Uint8Array(f));
      const job = { ...pending.job, input: { ...pending.job.input, frames } };
      slot.worker.postMessage(
        job,
        frames.map((f) => f.buffer as ArrayBuffer),
      );
    }
  }

  private spawn(): Slot {
    const { script, eval: isEval, execArgv } = workerScript('render-worker', import.meta.url);
    const workerData: RenderWorkerData = { nice: this.opts.nice ?? 0 };
    const worker = new Worker(script, { eval: isEval, execArgv, name: 'imaging-bridge-render', workerData });
    worker.unref();
    const slot: Slot = { worker };
    this.slots.push(slot);
    this.opts.onThreadStart?.(this.slots.length);
    worker.on('message', (reply: RenderReply) => {
      const pending = slot.current;
      if (!pending || pending.job.id !== reply.id) return;
      this.finish(slot);
      if (reply.ok) pending.resolve(Buffer.from(reply.image.buffer, reply.image.byteOffset, reply.image.byteLength));
      else if (reply.undecodable) pending.reject(notAcceptable(`cannot render this image: ${reply.message}`));
      else pending.reject(new Error(`rendering failed: ${reply.message}`));
      this.dispatch();
    });
    // A thread that dies (timeout, crash) fails its frame and is replaced on the next dispatch.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      const pending = slot.current;
      this.finish(slot);
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      pending?.reject(
        serviceUnavailable('the render thread stopped while rendering this image; try again', undefined, {
          'retry-after': '1',
        }),
      );
      if (!this.closed) this.dispatch();
    });
    return slot;
  }

  private finish(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.current = undefined;
  }
}

/**
 * Default pool size: one core is left to ingest and the event loop, at least one thread, at most
 * two (rendering is one workload among several). On 2 cores, 20 thumbnail clients slowed a
 * concurrent STOW of CT400 by 200 % with two threads, by 76 % with one (bench P13c).
 */
export function defaultRenderThreads(cores: number): number {
  return Math.max(1, Math.min(2, cores - 1));
}
