import { crc32 } from 'node:zlib';
import type { BlobPlacement, BlobWriter, PlacedBlob, SealedBlob } from '../types.js';
import { HeldBytes } from './held-bytes.js';

/**
 * A writer that holds an object in memory while it is at most `limit` bytes, and moves it to
 * `overflow()` (a file, a spool) as soon as it grows past: a small object is sealed from memory
 * and placed by `commitHeld` (a pack append, one PUT), a large one is sealed and placed by the
 * overflow writer. Shared by the packs + files store and the S3 store. The held object stays the
 * chunks it arrived in (held-bytes.ts): no copy into one Buffer unless `commitHeld` asks for it.
 * With `crc`, the CRC-32 of the held bytes is computed chunk by chunk as they arrive (a pack
 * record needs it; computed here it overlaps the wait for the next chunk).
 */
export function memoryFirstWriter(
  limit: number,
  overflow: () => Promise<BlobWriter>,
  commitHeld: (bytes: HeldBytes, placement: BlobPlacement) => Promise<PlacedBlob>,
  opts: { crc?: boolean } = {},
): BlobWriter {
  let held: Buffer[] = [];
  let size = 0;
  let crc = 0;
  let spilled: BlobWriter | undefined;
  return {
    holdsInMemory: () => spilled === undefined,
    writev: async (chunks) => {
      if (spilled) return spilled.writev(chunks);
      for (const c of chunks) {
        if (c.length === 0) continue;
        held.push(c);
        size += c.length;
        if (opts.crc && size <= limit) crc = crc32(c, crc);
      }
      if (size > limit) {
        spilled = await overflow();
        await spilled.writev(held);
        held = [];
      }
    },
    abort: async () => {
      held = [];
      await spilled?.abort();
    },
    seal: async (): Promise<SealedBlob> => {
      if (spilled) return spilled.seal();
      const bytes = new HeldBytes(held, size, opts.crc ? crc : undefined);
      held = [];
      return {
        size,
        source: () => bytes.source(),
        discard: async () => undefined,
        commit: (placement) => commitHeld(bytes, placement),
      };
    },
  };
}
