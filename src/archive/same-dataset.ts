import type { ByteSource } from '../dicom/types.js';
import type { BlobStore } from './types.js';

const CHUNK = 1 << 20;

/**
 * Does a new object carry the same dataset as a stored one? Compares the bytes after the
 * File Meta group (PS3.10 meta may differ between senders for the same dataset). Only runs
 * when a SOP Instance UID arrives again, so the ingest path itself never hashes.
 */
export async function sameDataset(
  blobs: BlobStore,
  fresh: { source: ByteSource; size: number; datasetOffset: number },
  stored: { blobKey: string; datasetOffset: number },
): Promise<boolean> {
  const old = await blobs.open(stored.blobKey);
  try {
    const length = fresh.size - fresh.datasetOffset;
    if (length !== old.size - stored.datasetOffset) return false;
    for (let done = 0; done < length; ) {
      const n = Math.min(CHUNK, length - done);
      const oldChunk = await old.read(stored.datasetOffset + done, n);
      if (fresh.source.read(fresh.datasetOffset + done, n).compare(oldChunk) !== 0) return false;
      done += n;
    }
    return true;
  } finally {
    await old.close();
  }
}
