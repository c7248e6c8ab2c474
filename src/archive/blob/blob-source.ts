import { bufferSource } from '../../dicom/index.js';
import type { ByteSource } from '../../dicom/types.js';
import type { OpenBlob } from '../types.js';

/** Objects up to this size are fetched whole at the first read that misses (one GET). */
const WHOLE_BELOW = 4 * 1024 * 1024;
/** A miss in a larger object fetches what was asked and this much after it (a header, an item tag…). */
const READ_AHEAD = 64 * 1024;
/**
 * Past this many misses (a parser walking hundreds of fragments) the read-ahead doubles at each
 * further miss, so that the rounds stay few; below it a jump costs one small GET.
 */
const SMALL_ROUNDS = 32;
const MAX_READ_AHEAD = 64 * 1024 * 1024;
const MAX_ROUNDS = 128;

/**
 * Runs `use` (a parser: readFrames, readRenderInput, locateBulkData…) over synchronous random
 * access to an open object. Local objects are read directly. For remote ones (object storage)
 * the parser is run over the bytes fetched so far; a read outside them is noted, fails the
 * run, and the run is repeated once those bytes are fetched (one ranged GET per miss). `use` must therefore have no side effects: it may run several times. Parsing is
 * cheap next to a GET, and a frame costs the header plus the frame's own bytes, never the object.
 */
export async function withBlobSource<T>(blob: OpenBlob, use: (source: ByteSource) => T): Promise<T> {
  if (blob.local) return use(blob.local());
  const cache = new FetchedRanges(blob);
  for (let round = 0; ; round++) {
    const source = cache.source();
    try {
      return use(source);
    } catch (e) {
      // The miss is read from the cache, not the error: a parser may wrap what it caught.
      const miss = cache.takeMiss();
      if (!miss || round >= MAX_ROUNDS) throw e;
      await cache.fetch(miss.offset, miss.length, round);
    }
  }
}

/** Every byte of an open object as a ByteSource (local objects are not copied). */
export async function wholeSource(blob: OpenBlob): Promise<ByteSource> {
  return blob.local ? blob.local() : bufferSource(await blob.read(0, blob.size));
}

class MissingBytes extends Error {}

class FetchedRanges {
  private readonly ranges: { start: number; bytes: Buffer }[] = [];
  private miss: { offset: number; length: number } | undefined;

  constructor(private readonly blob: OpenBlob) {}

  source(): ByteSource {
    return {
      size: this.blob.size,
      read: (offset, length) => {
        if (!(offset >= 0 && length >= 0 && offset + length <= this.blob.size))
          throw new RangeError(
            `read of ${length} bytes at offset ${offset} is outside the ${this.blob.size}-byte object`,
          );
        for (const r of this.ranges) {
          if (offset >= r.start && offset + length <= r.start + r.bytes.length)
            return r.bytes.subarray(offset - r.start, offset - r.start + length);
        }
        this.miss = { offset, length };
        throw new MissingBytes(`bytes ${offset}+${length} are not fetched yet`);
      },
    };
  }

  takeMiss(): { offset: number; length: number } | undefined {
    const m = this.miss;
    this.miss = undefined;
    return m;
  }

  async fetch(offset: number, length: number, round: number): Promise<void> {
    const size = this.blob.size;
    if (size <= WHOLE_BELOW) {
      this.ranges.splice(0, this.ranges.length, { start: 0, bytes: await this.blob.read(0, size) });
      return;
    }
    const ahead = Math.min(MAX_READ_AHEAD, READ_AHEAD * 2 ** Math.max(0, round - SMALL_ROUNDS));
    const end = Math.min(size, offset + Math.max(length, ahead));
    this.ranges.push({ start: offset, bytes: await this.blob.read(offset, end - offset) });
  }
}
