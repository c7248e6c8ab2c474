import { DEFAULT_SLAB_BYTES, type SlabPool } from './slab-pool.js';

export { DEFAULT_SLAB_BYTES };

/**
 * How far the consumer of a streamed body is. `held()`: bytes of the body already handed to the
 * consumer that it still holds (not yet taken by the operating system; it may count a few bytes
 * of its own on top). Everything yielded before that is done with, and its buffers may be refilled.
 */
export interface BodyProgress {
  held(): number;
}

interface Slab {
  bytes: Buffer;
  /** Body offset after which the slab's bytes have all been yielded; undefined while in use. */
  freeAt: number | undefined;
}

export const DEFAULT_MAX_SLABS = 8;

/**
 * The read buffers of one retrieve, refilled once the response has sent what they held: a study
 * streamed out reuses a few slabs instead of allocating a buffer per read (a CT study is 200+ MB
 * of fresh buffers otherwise, and collecting them cost about half the server's CPU of a retrieve).
 * Without a `BodyProgress` nothing is ever refilled (`acquire` answers undefined: allocate).
 * With a `SlabPool` the slabs come from it and go back to it once the whole body has been sent
 * (`sent`): the next retrieve refills them instead of allocating.
 */
export class RetrieveBuffers {
  private progress: BodyProgress | undefined;
  private readonly slabs: Slab[] = [];
  private yielded = 0;
  private ended = false;

  constructor(
    readonly slabBytes = DEFAULT_SLAB_BYTES,
    private readonly maxSlabs = DEFAULT_MAX_SLABS,
    private readonly pool?: SlabPool,
  ) {
    if (pool && pool.slabBytes !== slabBytes)
      throw new Error(`slabs of ${slabBytes} bytes from a pool of ${pool.slabBytes}`);
  }

  trackedBy(progress: BodyProgress): void {
    this.progress = progress;
  }

  /** Note bytes yielded by the body (in order). Returns the body offset after them. */
  yieldedBytes(n: number): number {
    this.yielded += n;
    return this.yielded;
  }

  /** Body bytes the consumer is done with (at least). */
  get done(): number {
    return this.progress ? this.yielded - this.progress.held() : 0;
  }

  /**
   * A free slab (its previous bytes all sent), or a new one while fewer than the maximum exist;
   * undefined otherwise or without progress: the caller allocates as usual.
   */
  acquire(): Slab | undefined {
    if (!this.progress || this.ended) return undefined;
    const done = this.done;
    const free = this.slabs.find((s) => s.freeAt !== undefined && s.freeAt <= done);
    if (free) {
      free.freeAt = undefined;
      return free;
    }
    if (this.slabs.length >= this.maxSlabs) return undefined;
    const slab: Slab = { bytes: this.pool?.take() ?? Buffer.allocUnsafeSlow(this.slabBytes), freeAt: undefined };
    this.slabs.push(slab);
    return slab;
  }

  /** The slab's bytes have all been yielded by the body up to `bodyOffset`: free once sent. */
  release(slab: Slab, bodyOffset: number): void {
    slab.freeAt = bodyOffset;
  }

  /**
   * The whole body has been taken by the operating system (never call it for an aborted
   * response: reads may still be filling slabs): the slabs go back to the pool.
   */
  sent(): void {
    if (this.ended) return;
    this.ended = true;
    this.pool?.give(this.slabs.map((s) => s.bytes));
    this.slabs.length = 0;
  }
}

export type { Slab as RetrieveSlab };
