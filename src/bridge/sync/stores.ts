/** The bridge's stores on the archive index's SQLite database (the PostgreSQL ones: src/bridge/postgres/). */
import type { Database } from 'better-sqlite3';
import { QuarantineStore, type QuarantineRecords } from '../quarantine/quarantine-store.js';
import { StudyPatientLinks } from '../patients/study-links.js';
import { Outbox, type SyncOutbox } from './outbox.js';
import type { StudyLinkRows } from './study-sync.js';
import { sqliteStudyReader, type StudyReader } from './study-instances.js';
import { WriteJournal, type BridgeWriteJournal, type JournalLog } from './write-journal.js';

/**
 * The bridge's stores, all on the archive index's database: sqliteBridgeStores (the index's
 * SQLite handle) or the PostgreSQL ones (src/bridge/postgres/, composed in src/main.ts).
 */
export interface BridgeStores {
  outbox: SyncOutbox;
  quarantine: QuarantineRecords;
  reader: StudyReader;
  links: StudyLinkRows;
  /** The journal of the worker's passes (one commit per pass). */
  journal(options: { relaxed?: boolean; onError?: JournalLog }): BridgeWriteJournal;
  /** The next sync pass starts while a pass's archive commit runs (SyncWorkerOptions.overlapCommit): PostgreSQL, where that commit waits on round trips; not SQLite. */
  overlapCommit?: boolean;
}

/** The bridge's stores beside the SQLite archive index (its tables created if missing). */
export function sqliteBridgeStores(db: Database, links: StudyLinkRows = new StudyPatientLinks(db)): BridgeStores {
  return {
    outbox: new Outbox(db),
    quarantine: new QuarantineStore(db),
    reader: sqliteStudyReader(db),
    links,
    journal: (options) => new WriteJournal(db, options),
  };
}
