import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { indexRecord } from '../../archive/archive-index-suite.js';
import { PgIndex } from '../../archive/postgres/pg-index.js';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { openPgBridgeStores } from '../postgres/index.js';
import { PgStudyLinks } from './study-links-pg.js';
import { studyLinksSuite } from './study-links-suite.js';

const server = suitePostgres();
const { skip } = server;

studyLinksSuite(
  'PostgreSQL',
  async () => {
    // Schemas of their own, dropped at close: suites can share one server (PG_TEST_URL).
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const index = await PgIndex.open(await server.url(), schema);
    const links = await PgStudyLinks.open(index.pool, { schema: `${schema}_links`, archiveSchema: schema });
    return {
      index,
      links,
      close: async () => {
        await links.dropSchema();
        await index.dropSchema();
        await index.close();
      },
    };
  },
  { skip },
);

describe.skipIf(skip !== undefined)(server.title('PostgreSQL study links'), () => {
  it('write in the bridge journal’s transaction when routed through the bridge stores', async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const index = await PgIndex.open(await server.url(), schema);
    const stores = await openPgBridgeStores(index.pool, schema);
    const links = await PgStudyLinks.open(index.pool, {
      schema: `${schema}_links`,
      archiveSchema: schema,
      route: stores.db,
    });
    try {
      const study = '1.2.826.0.1.3680043.10.1089.22.9';
      const record = indexRecord({ sop: `${study}.9.1`, instanceNumber: 1, study, series: `${study}.1` });
      expect((await index.commit([{ record, replaces: null }])).results[0]?.decision).toBe('stored');
      const pk = (await links.patientRowOf(study))!;
      // Seen from another connection (another instance): the link is there once the pass commits.
      const seenOutside = async () =>
        (await index.pool.query(`SELECT 1 FROM ${schema}_links.study_patient_links WHERE study_uid = $1`, [study]))
          .rowCount;
      const during: (number | null)[] = [];
      const journal = stores.journal();
      journal.add(() => links.record(study, pk, 'pat-a'));
      journal.add(async () => void during.push(await seenOutside()));
      await journal.flush();
      expect(during).toEqual([0]);
      expect(await seenOutside()).toBe(1);
      // A transaction that fails takes the link with it.
      const failed = stores.db.transaction(async () => {
        await links.forget(study);
        expect(await links.ownerOf(study)).toBeUndefined();
        throw new Error('the pass failed');
      });
      await expect(failed).rejects.toThrow('the pass failed');
      expect(await links.ownerOf(study)).toBe('pat-a');
    } finally {
      await links.dropSchema();
      await stores.close();
      await index.dropSchema();
      await index.close();
    }
  });
});
