import { resolve } from 'node:path';
import type { ObjectCipher } from '../../core/encryption/chunked-cipher.js';
import { ConfigError, conflict } from '../../core/errors.js';
import { ArchiveBlobStore } from '../archive-blob-store.js';
import type { SweepableBlobs, SweepOptions } from '../orphan-sweep.js';
import type { BlobStore } from '../types.js';
import type { S3Connection } from './s3-client.js';

/** Where instance bytes go (config/blob-store.ts resolves it from `--blob-store`). */
export type BlobPlace =
  | { kind: 'file'; dir: string }
  | { kind: 's3'; bucket: string; prefix: string; connection: S3Connection };

export interface OpenedBlobs {
  blobs: BlobStore;
  /** The packs and files, when the bytes are on the local file system (compaction, orphan sweep). */
  local: ArchiveBlobStore | undefined;
  /** What the orphan sweep walks after an unclean stop (orphan-sweep.ts), and how. */
  orphans: { blobs: SweepableBlobs; options: SweepOptions };
  /** Start-up check of a remote store (bucket there, writable); throws a message naming the problem. */
  check(): Promise<void>;
}

/**
 * The archive's blob store. `packWriter` and `cipher` as for ArchiveBlobStore. Objects in S3 are
 * spooled under `dataDir` while they arrive. The AWS SDK is imported only for S3: loaded, it
 * holds ≈ 5 MB of heap in every server (issue 21, idle memory).
 */
export async function openBlobStore(
  place: BlobPlace,
  opts: { dataDir: string; packWriter: boolean | 'import'; cipher: ObjectCipher | undefined },
): Promise<OpenedBlobs> {
  if (opts.cipher && (place.kind === 's3' || resolve(place.dir) !== resolve(opts.dataDir))) {
    // The key rotation (imaging-bridge encryption rotate) re-seals what is in the data directory only.
    throw new ConfigError(
      '--blob-store outside the data directory cannot be combined with --encryption-key-file / IMAGING_BRIDGE_ENCRYPTION_KEY: ' +
        'keep the default blob store, or rely on the storage encrypting (S3 server-side encryption, an encrypted volume)',
    );
  }
  if (place.kind === 'file') {
    const local = new ArchiveBlobStore(place.dir, { packWriter: opts.packWriter, cipher: opts.cipher });
    return { blobs: local, local, orphans: { blobs: local.files, options: {} }, check: async () => undefined };
  }
  const [{ createS3Client }, { S3BlobStore }] = await Promise.all([
    import('./s3-client.js'),
    import('./s3-blob-store.js'),
  ]);
  const s3 = new S3BlobStore(
    createS3Client(place.connection),
    { bucket: place.bucket, prefix: place.prefix },
    opts.dataDir,
  );
  return {
    blobs: s3,
    local: undefined,
    // A multipart object's time is its upload's start: a suspect is looked up again before it goes.
    orphans: { blobs: s3, options: { confirmAfterMs: 30_000 } },
    check: () => s3.check(),
  };
}

/** The compaction routes when there are no packs (objects in S3): the status says why, a start is refused (409). */
export function noPackCompaction(where: string) {
  const status = { state: 'idle', reason: `objects are stored in ${where}: there are no pack files to compact` };
  return {
    compactionStatus: () => status,
    startCompaction: (): boolean => {
      throw conflict(status.reason);
    },
  };
}
