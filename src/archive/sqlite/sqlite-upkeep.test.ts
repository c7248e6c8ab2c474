import { archiveUpkeepSuite } from '../archive-upkeep-suite.js';
import { SqliteIndex } from './sqlite-index.js';
import { SqliteUpkeep } from './sqlite-upkeep.js';

archiveUpkeepSuite('SQLite', async () => {
  const index = new SqliteIndex(':memory:');
  return {
    index,
    upkeep: new SqliteUpkeep(index.db),
    outboxSeq: async (studyUid) =>
      (index.db.prepare('SELECT seq FROM sync_outbox WHERE study_uid = ?').get(studyUid) as { seq: number } | undefined)
        ?.seq,
    close: () => index.close(),
  };
});
