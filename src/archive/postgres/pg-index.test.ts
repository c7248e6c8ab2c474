import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SchemaTooNewError } from '../../core/postgres/migrations.js';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { archiveIndexSuite, indexRecord } from '../archive-index-suite.js';
import { PgIndex } from './pg-index.js';

const server = suitePostgres();
const { skip } = server;

/** Each test in a schema of its own, dropped when it closes: suites can share one server (PG_TEST_URL). */
async function openTemp(): Promise<PgIndex> {
  const index = await PgIndex.open(await server.url(), `t_${randomBytes(6).toString('hex')}`);
  const close = index.close.bind(index);
  let dropped = false;
  index.close = async () => {
    if (!dropped) await index.dropSchema();
    dropped = true;
    await close();
  };
  return index;
}

archiveIndexSuite('PostgreSQL', openTemp, { skip });

describe.skipIf(skip !== undefined)(server.title('PostgreSQL archive index'), () => {
  it('lets two instances on one database store into one study at once: counts exact, each SOP stored once', async () => {
    const a = await openTemp();
    const b = await PgIndex.open(a.pool, a.schema);
    try {
      const record = (n: number, key = 'x') =>
        indexRecord({ sop: `1.2.826.0.1.3680043.10.1089.22.1.1.${n}`, instanceNumber: n, blobKey: `k/${n}-${key}` });
      await Promise.all(
        Array.from({ length: 20 }, (_, n) => (n % 2 ? a : b).commit([{ record: record(n), replaces: null }])),
      );
      // The same new SOP Instance from both at once: one stores it, the other is told to decide again.
      const race = await Promise.all(
        [a, b].map((index, i) => index.commit([{ record: record(99, `r${i}`), replaces: null }])),
      );
      expect(race.map((r) => r.results[0]!.decision).sort()).toEqual(['retry', 'stored']);
      expect(await b.studyInstanceCount(record(0).studyUid)).toBe(21);
      expect(await a.check()).toEqual({ instances: 21 });
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('refuses a schema migrated by a newer version', async () => {
    const a = await openTemp();
    try {
      await a.pool.query(`INSERT INTO ${a.schema}.schema_migrations(version, description) VALUES (99, 'future')`);
      await expect(PgIndex.open(a.pool, a.schema)).rejects.toBeInstanceOf(SchemaTooNewError);
    } finally {
      await a.close();
    }
  });
});
