import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { archiveUpkeepSuite } from '../archive-upkeep-suite.js';
import { PgIndex } from './pg-index.js';
import { PgUpkeep } from './pg-upkeep.js';

const server = suitePostgres();
const { skip } = server;

/** An index in a schema of its own (dropped at close), so suites can share one server. */
async function openTemp(instance?: string): Promise<PgIndex> {
  return PgIndex.open(await server.url(), `t_${randomBytes(6).toString('hex')}`, instance ? { instance } : {});
}

const dropAndClose = async (index: PgIndex) => {
  await index.dropSchema();
  await index.close();
};

archiveUpkeepSuite(
  'PostgreSQL',
  async () => {
    const index = await openTemp();
    return {
      index,
      upkeep: new PgUpkeep(index.pool, index.schema),
      outboxSeq: async (studyUid) =>
        (
          await index.pool.query<{ seq: number }>(`SELECT seq FROM ${index.schema}.sync_outbox WHERE study_uid = $1`, [
            studyUid,
          ])
        ).rows[0]?.seq,
      close: () => dropAndClose(index),
    };
  },
  { skip },
);

describe.skipIf(skip !== undefined)(server.title('PostgreSQL: what each instance keeps apart'), () => {
  it('keeps one journal mark per instance on a shared index', async () => {
    const a = await openTemp('a');
    const b = await PgIndex.open(a.pool, a.schema, { instance: 'b' });
    try {
      await a.checkpoint({ segment: 3, offset: 4096 });
      expect(await b.journalMark()).toEqual({ segment: 0, offset: 0 });
      await b.checkpoint({ segment: 1, offset: 8 });
      expect(await a.journalMark()).toEqual({ segment: 3, offset: 4096 });
      expect(await b.journalMark()).toEqual({ segment: 1, offset: 8 });
      // A restart of instance a (a new process, same identity) reads its own mark.
      const again = await PgIndex.open(a.pool, a.schema, { instance: 'a' });
      expect(await again.journalMark()).toEqual({ segment: 3, offset: 4096 });
    } finally {
      await b.close();
      await dropAndClose(a);
    }
  });

  it("keeps one running marker per instance: one's unclean stop is not another's", async () => {
    const index = await openTemp();
    const a = new PgUpkeep(index.pool, index.schema, { instance: 'a' });
    const b = new PgUpkeep(index.pool, index.schema, { instance: 'b' });
    try {
      expect(await a.markRunning(1000)).toBeUndefined();
      expect(await b.markRunning(1500)).toBeUndefined();
      await b.markStopped();
      expect(await a.markRunning(2000)).toBe(1000); // a died
      expect(await b.markRunning(2500)).toBeUndefined(); // b stopped cleanly
    } finally {
      await dropAndClose(index);
    }
  });
});
