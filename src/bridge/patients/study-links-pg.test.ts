import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { PgIndex } from '../../archive/postgres/pg-index.js';
import { testPostgres } from '../../core/postgres/test-cluster.js';
import { PgStudyLinks } from './study-links-pg.js';
import { studyLinksSuite } from './study-links-suite.js';

const server = testPostgres();
const skip = 'reason' in server ? server.reason : undefined;
afterAll(async () => {
  if (!('reason' in server)) await server.stop();
});

studyLinksSuite(
  'PostgreSQL',
  async () => {
    if ('reason' in server) throw new Error(server.reason);
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
