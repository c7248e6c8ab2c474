/**
 * The archive's storage as `serve` opens it (blob store, index, encryption at rest), apart from the
 * composition root (main.ts) so that a CLI command that only opens the archive does not load the server.
 */
import type Database from 'better-sqlite3';
import { Archive } from './archive/archive.js';
import type { ArchiveBlobStore } from './archive/archive-blob-store.js';
import type { ArchiveUpkeep } from './archive/archive-upkeep.js';
import { openBlobStore, type OpenedBlobs } from './archive/blob/open-blob-store.js';
import { openArchiveIndex, type OpenedIndex } from './archive/open-index.js';
import type { QidoBackend } from './archive/query/qido-backend.js';
import type { Config } from './config/schema.js';
import { openAtRestOf, type AtRest } from './core/encryption/at-rest.js';
import { openDataDir } from './core/private-files.js';

export type StorageConfig = Pick<
  Config,
  'dataDir' | 'duplicatePolicy' | 'bulkDataThreshold' | 'minFreeBytes' | 'encryptionKeyFile' | 'encryptionKey'
> &
  Partial<Pick<Config, 'blobs'>>;

/**
 * `packWriter`: the server appends small objects to the packs (journaled), an import too (synced);
 * other CLI commands only read them. `database`: the archive index in PostgreSQL (serve --database).
 */
export async function openStorage(
  config: StorageConfig,
  packWriter: boolean | 'import',
  atRest: AtRest,
  database?: string,
): Promise<ArchiveStorage> {
  openDataDir(config.dataDir);
  // `blobs`: the packs and files when the bytes are local (--blob-store file:DIR, the default); S3: undefined.
  const opened = await openBlobStore(config.blobs ?? { kind: 'file', dir: config.dataDir }, {
    dataDir: config.dataDir,
    packWriter,
    cipher: atRest.objects,
  });
  const index = await openArchiveIndex({ dataDir: config.dataDir, database, sqliteKeys: atRest.sqlite });
  const archive = new Archive(index.index, opened.blobs, {
    duplicatePolicy: config.duplicatePolicy,
    bulkDataThreshold: config.bulkDataThreshold,
    minFreeBytes: config.minFreeBytes,
  });
  return {
    archive,
    upkeep: index.upkeep,
    qido: index.qido,
    blobs: opened.local,
    orphans: opened.orphans,
    checkBlobs: opened.check,
    index,
  };
}

export interface ArchiveStorage {
  archive: Archive;
  /** The running marker, pack keys, study facts and bulk resync, beside the index. */
  upkeep: ArchiveUpkeep;
  /** QIDO-RS and C-FIND over the same index. */
  qido: QidoBackend;
  /** The packs and files when the bytes are local (--blob-store file:DIR, the default); S3: undefined. */
  blobs: ArchiveBlobStore | undefined;
  /** What the orphan sweep walks after an unclean stop (files, or the bucket). */
  orphans: OpenedBlobs['orphans'];
  /** Checks the blob store is usable (S3: the bucket exists and takes a write). */
  checkBlobs(): Promise<void>;
  /**
   * The archive index as opened: its SQLite database or its PostgreSQL pool, where the stores that
   * live beside it keep their tables (bridge outbox/journal/quarantine, sources state, study links).
   */
  index: OpenedIndex;
}

/** For CLI commands: refuses a data directory whose encryption does not match the configured key (see at-rest.ts). */
export async function openArchive(config: StorageConfig, opts: { importing?: boolean } = {}): Promise<Archive> {
  return (await openStorage(config, opts.importing ? 'import' : false, openAtRestOf(config))).archive;
}

/** openArchive, with the database the bridge and sources stores share with the index (CLI commands that read them). */
export async function openArchiveDatabase(config: StorageConfig): Promise<{ archive: Archive; db: Database.Database }> {
  const { archive, index } = await openStorage(config, false, openAtRestOf(config));
  if (index.kind !== 'sqlite') throw new Error('unreachable: the CLI opens the SQLite archive index');
  return { archive, db: index.db };
}
