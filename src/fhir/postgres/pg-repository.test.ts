import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SchemaTooNewError } from '../../core/postgres/migrations.js';
import { openPool } from '../../core/postgres/pool.js';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { find, fhirRepositorySuite, TEST_BASE, testRegistry } from '../repository/test-support.js';
import { fhirSearchSuite } from '../search/test-support.js';
import { parseSearch } from '../search/parse-search.js';
import { PgFhirRepository } from './pg-repository.js';
import { conditionSql, numbered } from './search-sql.js';

const server = suitePostgres();
const { skip } = server;

const newSchema = () => `t_${randomBytes(6).toString('hex')}`;

async function open(schema = newSchema()) {
  return PgFhirRepository.open(await server.url(), { registry: testRegistry(), baseUrl: TEST_BASE, schema });
}

/** Each test in a schema of its own, dropped afterwards: suites can share one server (PG_TEST_URL). */
async function openTemp() {
  const repo = await open();
  return {
    repo,
    close: async () => {
      await repo.dropSchema();
      await repo.close();
    },
  };
}

fhirRepositorySuite('PostgreSQL', openTemp, { skip });
fhirSearchSuite('PostgreSQL', openTemp, { skip });

describe.skipIf(skip !== undefined)(server.title('PostgreSQL FHIR repository'), () => {
  it('records its schema version, reopens without migrating again, and refuses a newer schema', async () => {
    const first = await open();
    const schema = (first as unknown as { schema: string }).schema;
    try {
      const p = await first.create({ resourceType: 'Patient', name: [{ family: 'Durable' }] });
      const pool = openPool(await server.url());
      try {
        const versions = await pool.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
        expect(versions.rows.map((r) => r.version)).toEqual([1, 2]);
        const second = await open(schema);
        expect(await find(second, 'Patient', 'family=dur')).toHaveLength(1);
        expect((await second.read('Patient', p.id!)).id).toBe(p.id);
        await second.close();
        await pool.query(
          `INSERT INTO ${schema}.schema_migrations(version, description) VALUES (99, 'from the future')`,
        );
        const refused = await open(schema).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(SchemaTooNewError);
        expect(String(refused)).toMatch(/version 99, newer than this ImagingBridge knows \(2\)/);
      } finally {
        await pool.end();
      }
    } finally {
      await first.dropSchema();
      await first.close();
    }
  });

  it('lets two instances on one database write the same resources without losing a version', async () => {
    const a = await open();
    const schema = (a as unknown as { schema: string }).schema;
    const b = await open(schema);
    try {
      // Update-as-create of one new id from both at once: one creates it, the other updates it (or finds it unchanged).
      const made = await Promise.all(
        [a, b, a, b].map((repo, i) => repo.update({ resourceType: 'Patient', id: 'shared', active: i % 2 === 0 })),
      );
      expect(made.filter((m) => m.created)).toHaveLength(1);
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).update({ resourceType: 'Patient', id: 'shared', gender: `g${i}` }),
        ),
      );
      const history = await a.history({ resourceType: 'Patient', id: 'shared' }, { count: 100, offset: 0 });
      const versions = history.entries.map((e) => Number(e.versionId));
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => versions.length - i));
      expect(versions.length).toBeGreaterThanOrEqual(11);
      const current = await b.read('Patient', 'shared');
      expect(current.meta?.versionId).toBe(String(versions[0]));
    } finally {
      await b.close();
      await a.dropSchema();
      await a.close();
    }
  });

  it('answers token and :contains searches from their indexes', async () => {
    const repo = await open();
    const schema = (repo as unknown as { schema: string }).schema;
    const pool = openPool(await server.url(), { max: 1 });
    try {
      await repo.create({ resourceType: 'Patient', gender: 'female', name: [{ family: 'Åberg' }] });
      // With so few rows a sequential scan is cheaper; forbid it to see whether the index can answer.
      await pool.query('SET enable_seqscan = off');
      const plan = async (sql: string) =>
        (await pool.query(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      expect(await plan(`SELECT resource_pk FROM ${schema}.sp_token WHERE param = 1 AND code = 'x'`)).toMatch(
        /Index Only Scan using sp_token_value/,
      );
      expect(await plan(`SELECT resource_pk FROM ${schema}.sp_string WHERE norm LIKE '%berg%'`)).toMatch(
        /sp_string_trigram/,
      );
    } finally {
      await pool.end();
      await repo.dropSchema();
      await repo.close();
    }
  });

  it('seeks the (param, code) index for a list of token values', async () => {
    const repo = await open();
    const schema = (repo as unknown as { schema: string }).schema;
    const pool = openPool(await server.url(), { max: 1 });
    try {
      const mrn = 'urn:oid:1.2.3.4';
      await repo.createMany(
        Array.from({ length: 400 }, (_, i) => ({
          resourceType: 'Patient',
          id: `p${i}`,
          identifier: [
            { system: mrn, value: `M${i}` },
            { system: `urn:acc:${i % 20}`, value: `A${i}` },
          ],
        })),
      );
      const rows = await pool.query(`SELECT id, type, code FROM ${schema}.params`);
      const paramIds = new Map(rows.rows.map((r) => [`${r.type}.${r.code}`, Number(r.id)]));
      // Few rows: statistics, and no sequential or bitmap scans, to see what the index condition holds.
      await pool.query(`ANALYZE ${schema}.sp_token`);
      await pool.query('SET enable_seqscan = off');
      await pool.query('SET enable_bitmapscan = off');
      const plan = async (query: string) => {
        const { request } = parseSearch(testRegistry(), 'Patient', new URLSearchParams(query), {
          defaultCount: 100,
          maxCount: 1000,
          baseUrl: TEST_BASE,
        });
        const ctx = { s: `${schema}.`, ids: (t: string, c: string) => paramIds.get(`${t}.${c}`), now: Date.now() };
        const c = conditionSql(request.conditions[0], 'r', 'Patient', ctx, 'select');
        return (await pool.query(`EXPLAIN ${numbered(c.sql)}`, c.args)).rows
          .map((r) => r['QUERY PLAN'] as string)
          .join('\n');
      };
      // Before session 21 only `param = $1` bounded the scan of an OR of (code, system) pairs.
      for (const list of [`${mrn}|M1,${mrn}|M2`, 'M1,M2', '|M1,|M2'])
        expect(await plan(`identifier=${encodeURIComponent(list)}`), list).toMatch(/Index Cond: .*code = ANY/);
      const systems = await plan(`identifier=${encodeURIComponent('urn:acc:1|,urn:acc:2|')}`);
      expect(systems, systems).toMatch(/Index Cond: .*system = ANY/);
      expect((await find(repo, 'Patient', `identifier=${mrn}|M1,${mrn}|M2,M3,|M4`)).map((r) => r.id).sort()).toEqual([
        'p1',
        'p2',
        'p3',
      ]);
    } finally {
      await pool.end();
      await repo.dropSchema();
      await repo.close();
    }
  });

  it('commits a durable: false transaction, and flush() resolves after it', async () => {
    const repo = await open();
    try {
      await repo.transaction(
        async (tx) => void (await tx.create({ resourceType: 'Patient', id: 'copy-1' }, { keepId: true })),
        {
          durable: false,
        },
      );
      await repo.flush();
      expect((await repo.read('Patient', 'copy-1')).id).toBe('copy-1');
      await expect(
        repo.transaction(async (tx) => {
          await tx
            .transaction(async (inner) => {
              await inner.create({ resourceType: 'Patient', id: 'nested' }, { keepId: true });
              throw new Error('inner refused');
            })
            .catch(() => undefined);
          await tx.create({ resourceType: 'Patient', id: 'outer' }, { keepId: true });
        }),
      ).resolves.toBeUndefined();
      await expect(repo.read('Patient', 'nested')).rejects.toMatchObject({ status: 404 });
      expect((await repo.read('Patient', 'outer')).id).toBe('outer');
    } finally {
      await repo.dropSchema();
      await repo.close();
    }
  });
});
