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

  it('keeps series and study figures when one batch moves an instance to a new series and empties another', async () => {
    const index = await openTemp();
    try {
      const study = '1.2.826.0.1.3680043.10.1089.22.7';
      const [ct, mr, us] = [`${study}.1`, `${study}.2`, `${study}.3`];
      const sop = (n: number) => `${study}.9.${n}`;
      const rec = (series: string, n: number, modality: string, key = 'a') => {
        const r = indexRecord({ study, series, sop: sop(n), instanceNumber: n, blobKey: `k/${n}-${key}` });
        r.json['00080060'] = { vr: 'CS', Value: [modality] };
        return r;
      };
      await index.commit([
        { record: rec(ct, 1, 'CT'), replaces: null },
        { record: rec(ct, 2, 'CT'), replaces: null },
        { record: rec(mr, 3, 'MR'), replaces: null },
      ]);
      // Instance 3 comes again in a new series (US): MR is emptied and dropped; US is made.
      const moved = await index.commit([
        { record: rec(us, 3, 'US', 'b'), replaces: 'k/3-a' },
        { record: rec(ct, 4, 'CT'), replaces: null },
      ]);
      expect(moved.results.map((r) => r.decision)).toEqual(['new-version', 'stored']);
      const t = index.schema;
      const series = await index.pool.query(
        `SELECT series_uid AS uid, num_instances AS n FROM ${t}.series ORDER BY series_uid`,
      );
      expect(series.rows).toEqual([
        { uid: ct, n: 3 },
        { uid: us, n: 1 },
      ]);
      const figures = `SELECT num_series AS s, num_instances AS n, modalities AS m FROM ${t}.studies WHERE study_uid = $1`;
      expect((await index.pool.query(figures, [study])).rows).toEqual([{ s: 2, n: 4, m: 'CT\\US' }]);
      await index.delete({ studyUid: study, seriesUid: ct }, 'suite', undefined);
      expect((await index.pool.query(figures, [study])).rows).toEqual([{ s: 1, n: 1, m: 'US' }]);
      await index.delete({ studyUid: study }, 'suite', undefined);
      expect((await index.pool.query(figures, [study])).rows).toEqual([]);
      expect((await index.pool.query(`SELECT count(*)::int AS n FROM ${t}.series`)).rows).toEqual([{ n: 0 }]);
      const outbox = await index.pool.query(`SELECT seq, reason FROM ${t}.sync_outbox WHERE study_uid = $1`, [study]);
      expect(outbox.rows).toEqual([{ seq: 4, reason: 'deleted' }]);
    } finally {
      await index.close();
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
