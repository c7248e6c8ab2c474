/**
 * An append-only byte collector for the writers. Small writes go into a shared block;
 * large values are kept by reference (no copy), so encoding a 50 MB PixelData costs no
 * extra 50 MB. `take()` hands over what has accumulated, which lets the transcoder stream.
 */
import type { StreamSyntax } from './element-header.js';
import { LONG_LENGTH_VRS } from './vr.js';

/** Blocks grow from this size, doubling, up to BLOCK: a small dataset (a sequence item) takes 1 KB, not 64. */
const FIRST_BLOCK = 1024;
const BLOCK = 64 * 1024;
const BY_REFERENCE = 8 * 1024;
const EMPTY = Buffer.alloc(0);

export class ByteSink {
  private chunks: Buffer[] = [];
  /**
   * Small writes go here, from `start` on; bytes before `start` are already in `chunks`, as views of
   * this block. A block is made only when a write needs room (issue 21: one new 64 KB block at every
   * sink, at every take and at every value kept by reference left ≈ 600 KB of garbage per demo
   * instance encoded, which malloc's heap kept resident after start).
   */
  private block: Buffer = EMPTY;
  private start = 0;
  private pos = 0;
  private total = 0;

  constructor(readonly littleEndian = true) {}

  /** Bytes written so far (including those already taken). */
  get length(): number {
    return this.total;
  }

  private room(n: number): void {
    if (this.pos + n <= this.block.length) return;
    this.flushBlock();
    const size = Math.max(n, this.block.length === 0 ? FIRST_BLOCK : Math.min(BLOCK, this.block.length * 2));
    this.block = Buffer.allocUnsafe(size);
    this.start = 0;
    this.pos = 0;
  }

  /** Moves what was written since the last flush to `chunks`; later writes continue in the same block. */
  private flushBlock(): void {
    if (this.pos > this.start) this.chunks.push(this.block.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  u16(v: number): void {
    this.room(2);
    if (this.littleEndian) this.block.writeUInt16LE(v, this.pos);
    else this.block.writeUInt16BE(v, this.pos);
    this.pos += 2;
    this.total += 2;
  }

  u32(v: number): void {
    this.room(4);
    if (this.littleEndian) this.block.writeUInt32LE(v >>> 0, this.pos);
    else this.block.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    this.total += 4;
  }

  /** Append bytes; big buffers are referenced, so the caller must not modify them afterwards. */
  bytes(buf: Buffer): void {
    if (buf.length >= BY_REFERENCE) {
      this.flushBlock();
      this.chunks.push(buf);
    } else {
      this.room(buf.length);
      buf.copy(this.block, this.pos);
      this.pos += buf.length;
    }
    this.total += buf.length;
  }

  /** The chunks accumulated since the last take. */
  take(): Buffer[] {
    this.flushBlock();
    const out = this.chunks;
    this.chunks = [];
    return out;
  }

  pendingBytes(): number {
    let n = this.pos - this.start;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.take());
  }

  /** Element header (PS3.5 7.1.1–7.1.3); items and delimiters never carry a VR. */
  header(tag: number, vr: string | undefined, length: number, syntax: StreamSyntax): void {
    this.u16(tag >>> 16);
    this.u16(tag & 0xffff);
    if (tag >>> 16 === 0xfffe || !syntax.explicit || vr === undefined) {
      this.u32(length);
      return;
    }
    this.room(2);
    this.block.write(vr, this.pos, 2, 'latin1');
    this.pos += 2;
    this.total += 2;
    if (LONG_LENGTH_VRS.has(vr)) {
      this.u16(0);
      this.u32(length);
    } else {
      this.u16(length);
    }
  }
}
