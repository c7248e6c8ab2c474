import { SqliteIndex } from '../../archive/sqlite/sqlite-index.js';
import { claimRenewalSuite } from './claim-renewal-suite.js';
import type { OpenBridgeStores } from '../bridge-stores-harness.js';
import { quarantineSuite } from '../quarantine/quarantine-suite.js';
import { QuarantineStore } from '../quarantine/quarantine-store.js';
import { Outbox } from './outbox.js';
import { outboxSuite } from './outbox-suite.js';
import { sqliteStudyReader } from './study-instances.js';
import { studyReaderSuite } from './study-reader-suite.js';
import { WriteJournal } from './write-journal.js';
import { writeJournalSuite } from './write-journal-suite.js';

/** The bridge stores on the SQLite index's handle, as the server opens them (src/bridge/sync/index.ts). */
const open: OpenBridgeStores = async () => {
  const index = new SqliteIndex(':memory:');
  return {
    index,
    outbox: new Outbox(index.db),
    quarantine: new QuarantineStore(index.db),
    reader: sqliteStudyReader(index.db),
    journal: (options) => new WriteJournal(index.db, { relaxed: true, ...options }),
    claiming: async (claimMs) => new Outbox(index.db, { claimMs }),
    close: () => index.close(),
  };
};

outboxSuite('SQLite', open);
quarantineSuite('SQLite', open);
writeJournalSuite('SQLite', open);
studyReaderSuite('SQLite', open, { readsTogether: false });
claimRenewalSuite('SQLite', open);
