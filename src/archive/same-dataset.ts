import { read } from 'node:fs';
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
    const b = Buffer.allocUnsafe(Math.min(CHUNK, length));
    for (let done = 0; done < length; ) {
      const n = Math.min(CHUNK, length - done);
      await readFully(old.fd, b, n, old.offset + stored.datasetOffset + done);
      if (fresh.source.read(fresh.datasetOffset + done, n).compare(b, 0, n, 0, n) !== 0) return false;
      done += n;
    }
    return true;
  } finally {
    await old.close();
  }
}

async function readFully(fd: number, into: Buffer, length: number, position: number): Promise<void> {
  let got = 0;
  while (got < length) {
    const n = await new Promise<number>((resolve, reject) =>
      read(fd, into, got, length - got, position + got, (err, bytes) => (err ? reject(err) : resolve(bytes))),
    );
    if (n === 0) throw new Error(`unexpected end of file at ${position + got}`);
    got += n;
  }
}
