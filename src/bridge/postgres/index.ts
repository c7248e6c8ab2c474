/**
 * The bridge's state in the PostgreSQL archive schema: the outbox and sync records, the
 * quarantine and findings, the pass journal and the study reader, on the archive index's
 * database (the tables come with archiveMigrations, so PgIndex and these share one schema and
 * one migration history).
 */
import type pg from 'pg';
import { PgStoreConnection } from '../../core/postgres/store-connection.js';
import { archiveMigrations } from '../../archive/postgres/schema.js';
import type { JournalLog } from '../sync/write-journal.js';
import { PgBridgeDb } from './pg-bridge-db.js';
import { PgOutbox, type PgOutboxOptions } from './pg-outbox.js';
import { PgQuarantineStore } from './pg-quarantine-store.js';
import { PgStudyReader } from './pg-study-reader.js';
import { PgWriteJournal } from './pg-write-journal.js';

export { PgBridgeDb, PgOutbox, PgQuarantineStore, PgStudyReader, PgWriteJournal };

export interface PgBridgeStores {
  readonly db: PgBridgeDb;
  readonly outbox: PgOutbox;
  readonly quarantine: PgQuarantineStore;
  readonly reader: PgStudyReader;
  /** A journal for one worker's passes. */
  journal(options?: { relaxed?: boolean; onError?: JournalLog }): PgWriteJournal;
  close(): Promise<void>;
}

/** Connects (a URL: its own pool; a pool, e.g. PgIndex's: shared, left open) and migrates `schema` (default `archive`). */
export async function openPgBridgeStores(
  connection: string | pg.Pool,
  schema = 'archive',
  options: { outbox?: PgOutboxOptions } = {},
): Promise<PgBridgeStores> {
  const conn = await PgStoreConnection.open(connection, schema, archiveMigrations);
  const db = new PgBridgeDb(conn);
  return {
    db,
    outbox: new PgOutbox(db, options.outbox),
    quarantine: new PgQuarantineStore(db),
    reader: new PgStudyReader(db),
    journal: (options) => new PgWriteJournal(db, options),
    close: () => conn.close(),
  };
}
