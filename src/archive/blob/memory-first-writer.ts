import { bufferSource } from '../../dicom/index.js';
import type { BlobPlacement, BlobWriter, PlacedBlob, SealedBlob } from '../types.js';

/**
 * A writer that holds an object in memory while it is at most `limit` bytes, and moves it to
 * `overflow()` (a file, a spool) as soon as it grows past: a small object is sealed from memory
 * and placed by `commitHeld` (a pack append, one PUT), a large one is sealed and placed by the
 * overflow writer. Shared by the packs + files store and the S3 store.
 */
export function memoryFirstWriter(
  limit: number,
  overflow: () => Promise<BlobWriter>,
  commitHeld: (bytes: Buffer, placement: BlobPlacement) => Promise<PlacedBlob>,
): BlobWriter {
  let held: Buffer[] = [];
  let size = 0;
  let spilled: BlobWriter | undefined;
  return {
    writev: async (chunks) => {
      if (spilled) return spilled.writev(chunks);
      held.push(...chunks);
      for (const c of chunks) size += c.length;
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
      const bytes = held.length === 1 ? held[0]! : Buffer.concat(held, size);
      held = [];
      return {
        size,
        source: () => bufferSource(bytes),
        discard: async () => undefined,
        commit: (placement) => commitHeld(bytes, placement),
      };
    },
  };
}
