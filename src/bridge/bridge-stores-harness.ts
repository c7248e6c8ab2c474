/**
 * What the bridge store suites run against: one archive index and the bridge stores on the same
 * database (SQLite: the index's file; PostgreSQL: its schema), each test on a fresh one.
 */
import type { ArchiveIndex } from '../archive/archive-index.js';
import type { QuarantineRecords } from './quarantine/quarantine-store.js';
import type { SyncOutbox } from './sync/outbox.js';
import type { StudyReader } from './sync/study-instances.js';
import type { BridgeWriteJournal, JournalLog } from './sync/write-journal.js';

export interface BridgeStoresUnderTest {
  index: ArchiveIndex;
  outbox: SyncOutbox;
  quarantine: QuarantineRecords;
  reader: StudyReader;
  journal(options?: { onError?: JournalLog }): BridgeWriteJournal;
  /** Another outbox on the same database that claims its rows for `claimMs` (another instance's). */
  claiming(claimMs: number): Promise<SyncOutbox>;
  close(): Promise<void>;
}

export type OpenBridgeStores = () => Promise<BridgeStoresUnderTest>;

export interface BridgeSuiteOptions {
  /** Why the suite cannot run here (no PostgreSQL): reported as skipped with the reason. */
  skip?: string;
}

export function suiteTitle(what: string, backend: string, options: BridgeSuiteOptions): string {
  return `${what} (${backend})${options.skip === undefined ? '' : ` (skipped: ${options.skip})`}`;
}
