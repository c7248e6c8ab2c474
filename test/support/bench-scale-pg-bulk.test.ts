import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { scaleWrites } from '../../bench/scale-index.js';
import { bulkLoadIndex, type RowBuilders } from '../../bench/scale-pg-bulk.js';
import { scaleShape } from '../../bench/workloads/scale.js';
import type { IndexedWrite } from '../../src/archive/archive-index.js';
import { instanceRow, patientKey, seriesRow, studyRow } from '../../src/archive/archive-index-rows.js';
import { PgIndex } from '../../src/archive/postgres/pg-index.js';
import { PgQidoBackend } from '../../src/archive/postgres/pg-qido.js';
import { QidoService } from '../../src/archive/query/qido-service.js';
import { generatedRecords, PUBLIC_URL, testRecords } from '../../src/archive/query/test-support.js';
import type { QidoLevel } from '../../src/archive/query/types.js';
import { rejectionNote } from '../../src/archive/rejection-note.js';
import { testPostgres } from '../../src/core/postgres/test-cluster.js';
import { bulkUri } from '../../src/dicom/bulk-path.js';

const server = testPostgres();
const skip = 'reason' in server ? server.reason : undefined;
afterAll(async () => {
  if ('reason' in server) return;
  await admin(async (c) => {
    for (const name of made) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  await server.stop();
});

const ROWS: RowBuilders = { patientKey, studyRow, seriesRow, instanceRow, rejectionNote };
const SCHEMA = 'archive';

/**
 * The hand-made studies (several series, PN with ideographic parts; study C's MR series first,
 * so its ModalitiesInStudy must be sorted) and 120 SCALE studies.
 */
function fixture(): IndexedWrite[] {
  const records = testRecords();
  const [c1, c2] = [records[4]!, records[5]!];
  expect([c1.json['00080060']?.Value?.[0], c2.json['00080060']?.Value?.[0]]).toEqual(['CT', 'MR']);
  records.splice(4, 2, c2, c1);
  const handMade = records.map((record) => ({ record, replaces: null }));
  return [...handMade, ...scaleWrites(20261207, scaleShape(120), bulkUri)];
}

const made: string[] = [];

async function admin<T>(run: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: await (server as { url: () => Promise<string> }).url() });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

/** A database of its own (PG_TEST_URL may be shared), dropped after the file. */
async function freshDatabase(label: string): Promise<string> {
  const name = `${label}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  made.push(name);
  const u = new URL(await (server as { url: () => Promise<string> }).url());
  u.pathname = `/${name}`;
  return u.toString();
}

/** Every row of the four tables, in key order, without the commit times. */
async function tableRows(index: PgIndex): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  for (const table of ['patients', 'studies', 'series', 'instances']) {
    const { rows } = await index.pool.query(`SELECT * FROM ${SCHEMA}.${table} ORDER BY pk`);
    out.set(
      table,
      rows.map(({ updated_at: _u, created_at: _c, ...rest }) => rest),
    );
    const seq = await index.pool.query(
      `SELECT last_value AS v FROM ${(await index.pool.query(`SELECT pg_get_serial_sequence($1, 'pk') AS s`, [`${SCHEMA}.${table}`])).rows[0].s}`,
    );
    out.set(`${table} sequence`, seq.rows);
  }
  return out;
}

describe.skipIf(skip !== undefined)(`SCALE bulk load into PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('writes the rows PgIndex.commit writes, and QIDO answers the same on both', async () => {
    const writes = fixture();
    const committed = await PgIndex.open(await freshDatabase('bulk_eq_commit'), SCHEMA);
    const bulk = await PgIndex.open(await freshDatabase('bulk_eq_bulk'), SCHEMA);
    try {
      for (let i = 0; i < writes.length; i += 250) {
        const { results } = await committed.commit(writes.slice(i, i + 250));
        expect(results.every((r) => r.decision === 'stored')).toBe(true);
      }
      // Small batches: several statements, keys carried across them, a batch cut only between studies.
      const loaded = await bulkLoadIndex(bulk.pool, SCHEMA, writes, ROWS, { batch: 97 });
      expect(loaded).toEqual({
        patients: expect.any(Number),
        studies: 124,
        series: 126,
        instances: writes.length,
      });

      const a = await tableRows(committed);
      const b = await tableRows(bulk);
      expect(a.get('instances')).toHaveLength(writes.length);
      for (const [table, rows] of a) expect(b.get(table), table).toEqual(rows);

      const opts = { publicUrl: PUBLIC_URL, maxResults: 0 };
      const qa = new QidoService(new PgQidoBackend(committed.pool, SCHEMA), opts);
      const qb = new QidoService(new PgQidoBackend(bulk.pool, SCHEMA), opts);
      const studyUid = writes[0]!.record.studyUid;
      for (const [level, query, scope] of [
        ['study', '', {}],
        ['study', 'ModalitiesInStudy=MR', {}],
        ['study', 'ModalitiesInStudy=CT,SR&includefield=all', {}],
        ['study', 'PatientName=*a*', {}],
        ['study', 'PatientName=yamada*', {}],
        ['study', 'StudyDate=20100101-20201231&limit=17&offset=3', {}],
        ['series', 'Modality=MR', {}],
        ['series', '', { studyUid }],
        ['instance', 'SOPClassUID=1.2.840.10008.5.1.4.1.1.2', {}],
        ['instance', '', { studyUid }],
      ] as const) {
        const request = { level: level as QidoLevel, ...scope, query: new URLSearchParams(query) };
        const expected = (await qa.search(request)).body;
        expect(expected.length, `${level} ${query}`).toBeGreaterThan(0);
        expect((await qb.search(request)).body, `${level} ${query}`).toEqual(expected);
      }
      expect(await bulk.metadata({ studyUid })).toEqual(await committed.metadata({ studyUid }));

      // After the load the index takes commits as before: the keys go on past the loaded ones.
      const extra = { record: generatedRecords(1, '1.2.826.0.1.77')[0]!, replaces: null };
      for (const index of [committed, bulk]) {
        const { results } = await index.commit([extra]);
        expect(results[0]!.decision).toBe('stored');
      }
      expect((await tableRows(bulk)).get('instances')).toEqual((await tableRows(committed)).get('instances'));
    } finally {
      await committed.close();
      await bulk.close();
    }
  }, 120_000);

  it('refuses what it would not load as PgIndex.commit does: a study split in two, a new version, a non-empty table', async () => {
    const index = await PgIndex.open(await freshDatabase('bulk_refuse'), SCHEMA);
    try {
      const writes = fixture().slice(0, 7);
      const split = [writes[0]!, writes[3]!, writes[1]!];
      await expect(bulkLoadIndex(index.pool, SCHEMA, split, ROWS)).rejects.toThrow(/comes back after other studies/);
      const replacing = [{ ...writes[0]!, replaces: 'blob/x' }];
      await expect(bulkLoadIndex(index.pool, SCHEMA, replacing, ROWS)).rejects.toThrow(/replaces a stored instance/);
      expect((await index.check()).instances).toBe(0);
      await bulkLoadIndex(index.pool, SCHEMA, writes, ROWS);
      await expect(bulkLoadIndex(index.pool, SCHEMA, writes, ROWS)).rejects.toThrow(/is not empty/);
    } finally {
      await index.close();
    }
  });
});
