import { DicomParseError, type ByteSource } from '../../dicom/index.js';

/**
 * An object held in memory as the chunks it arrived in (views of the socket's reads). The
 * pack append writes the chunks as they are (one writev) and the parser reads across them, so
 * the object is not copied into one Buffer; `whole()` makes that copy, once, for whoever needs it.
 */
export class HeldBytes {
  private joined: Buffer | undefined;
  /** Offset of each chunk's first byte, for reads by offset. */
  private readonly starts: number[];

  /** `crc`: the CRC-32 of the bytes, when the writer computed it as they arrived. */
  constructor(
    readonly chunks: readonly Buffer[],
    readonly size: number,
    readonly crc?: number,
  ) {
    this.starts = [];
    let at = 0;
    for (const c of chunks) {
      this.starts.push(at);
      at += c.length;
    }
  }

  whole(): Buffer {
    this.joined ??= this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks as Buffer[], this.size);
    return this.joined;
  }

  /** Random access for the parser: a view when the range lies in one chunk, a copy of the range otherwise. */
  source(): ByteSource {
    return {
      size: this.size,
      read: (offset: number, length: number): Buffer => {
        if (!(offset >= 0 && length >= 0 && offset + length <= this.size)) {
          throw new DicomParseError(
            `read of ${length} bytes at offset ${offset} is outside the ${this.size}-byte object`,
            offset,
          );
        }
        if (this.joined) return this.joined.subarray(offset, offset + length);
        let i = this.chunkAt(offset);
        const first = this.chunks[i]!;
        const inFirst = offset - this.starts[i]!;
        if (inFirst + length <= first.length) return first.subarray(inFirst, inFirst + length);
        const out = Buffer.allocUnsafe(length);
        let done = first.copy(out, 0, inFirst);
        while (done < length) done += this.chunks[++i]!.copy(out, done, 0, length - done);
        return out;
      },
    };
  }

  /** Index of the chunk holding byte `offset` (binary search; chunks are never empty here). */
  private chunkAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
