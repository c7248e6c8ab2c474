import type { BlobStore, ReadInto } from '../archive/types.js';
import type { RetrieveBuffers, RetrieveSlab } from './retrieve-buffers.js';

export interface ReadAheadLimits {
  /** Bytes read (or being read) ahead of the part being written, at most (one batch may pass it). */
  aheadBytes: number;
  /** Objects read with one `readMany` call: up to this many bytes together. */
  batchBytes: number;
}

/** Bytes left free in front of each object read into a slab (room for a multipart part header). */
export const LEAD_ROOM_BYTES = 256;

export const DEFAULT_READ_AHEAD: ReadAheadLimits = { aheadBytes: 4 * 1024 * 1024, batchBytes: 1024 * 1024 };

/**
 * Whole objects of a retrieve read ahead of the one being written, in order, in batches (one
 * `readMany` each: runs of pack records in one read) and bounded by bytes. The window only moves
 * when the writer takes the next object, and the writer is pulled only while the response's
 * buffer has room, so a slow client (a full socket) stops the reading: memory stays flat.
 * `items[k]` undefined: object k is not read ahead (streamed or transcoded by the writer).
 * With `buffers`, a batch is read into one of its slabs when it fits; the writer says when an
 * object has gone out (`sent`), and a batch's slab is refilled once its last object has been sent.
 */
export class ReadAhead {
  private readonly pending = new Map<number, Promise<Buffer>>();
  private aheadBytes = 0;
  private next = 0;
  /** The slab of the batch that object k ends. */
  private readonly slabOf = new Map<number, RetrieveSlab>();
  /** Objects read into a slab with LEAD_ROOM_BYTES free in front of them. */
  private readonly withRoom = new WeakSet<Buffer>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly items: readonly ({ key: string; size: number } | undefined)[],
    private readonly limits: ReadAheadLimits = DEFAULT_READ_AHEAD,
    private readonly buffers?: RetrieveBuffers,
  ) {}

  /** Object k's bytes have all been yielded, up to `bodyOffset` of the body (skipped ones too). */
  sent(k: number, bodyOffset: number): void {
    const slab = this.slabOf.get(k);
    if (!slab) return;
    this.slabOf.delete(k);
    this.buffers!.release(slab, bodyOffset);
  }

  /** Bytes read or being read ahead and not taken yet. */
  get bytesAhead(): number {
    return this.aheadBytes;
  }

  /** Object k's bytes, or undefined when it is not read ahead. Call for k = 0, 1, 2… in order. */
  take(k: number): Promise<Buffer> | undefined {
    const item = this.items[k];
    if (!item) {
      this.fill(k + 1);
      return undefined;
    }
    this.fill(k);
    const p = this.pending.get(k);
    this.pending.delete(k);
    this.aheadBytes -= item.size;
    this.fill(k + 1);
    return p;
  }

  private fill(from: number): void {
    if (this.next < from) this.next = from;
    // The first batch is the first object alone: its part can go out while the rest is read.
    let batchLimit = this.pending.size === 0 && this.aheadBytes === 0 && from === 0 ? 1 : this.limits.batchBytes;
    while (this.next < this.items.length && (this.aheadBytes < this.limits.aheadBytes || this.pending.size === 0)) {
      const batch: number[] = [];
      let bytes = 0;
      while (this.next < this.items.length && bytes < batchLimit) {
        const item = this.items[this.next];
        if (!item) {
          if (batch.length > 0) break;
          this.next++;
          continue;
        }
        batch.push(this.next++);
        bytes += item.size;
      }
      if (batch.length === 0) break;
      this.aheadBytes += bytes;
      this.start(batch);
      batchLimit = this.limits.batchBytes;
    }
  }

  private start(batch: number[]): void {
    const keys = batch.map((k) => this.items[k]!.key);
    const read = this.blobs.readMany
      ? this.blobs.readMany(keys, this.into(batch))
      : Promise.all(keys.map((key) => this.blobs.read(key)));
    batch.forEach((k, at) => {
      const one = read.then(
        (all) => all[at]!,
        // One object deleted since the index was read fails the batch: read each alone, so
        // that only that one fails (with its own ENOENT).
        (e) => (batch.length > 1 ? this.blobs.read(keys[at]!) : Promise.reject(e)),
      );
      one.catch(() => undefined); // awaited by the writer; a failure is handled there
      this.pending.set(k, one);
    });
  }

  /**
   * Reads of this batch fill one slab, one after another, while they fit (then: new buffers),
   * each with LEAD_ROOM_BYTES free in front of it (see `roomBefore`).
   */
  private into(batch: number[]): ReadInto | undefined {
    const slab = this.buffers?.acquire();
    if (!slab) return undefined;
    this.slabOf.set(batch.at(-1)!, slab);
    let used = 0;
    return (bytes) => {
      if (used + LEAD_ROOM_BYTES + bytes > slab.bytes.length) return undefined;
      used += LEAD_ROOM_BYTES + bytes;
      const read = slab.bytes.subarray(used - bytes, used);
      this.withRoom.add(read);
      return read;
    };
  }

  /**
   * Bytes free in front of `bytes` (an object this read-ahead gave) in the buffer it was read
   * into: the writer may put its own bytes there (a part header) and send both as one buffer.
   * 0 when it was read into a buffer of its own.
   */
  roomBefore(bytes: Buffer): number {
    return this.withRoom.has(bytes) ? LEAD_ROOM_BYTES : 0;
  }
}
