import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { QidoService } from '../query/qido-service.js';
import { generatedRecords, PUBLIC_URL } from '../query/test-support.js';
import type { QidoLevel } from '../query/types.js';
import { SqliteIndex } from '../sqlite/sqlite-index.js';
import { SqliteQidoBackend } from '../sqlite/sqlite-qido.js';
import { PgIndex } from './pg-index.js';
import { qidoBody } from '../../dicomweb/qido-response.js';
import { numbered, PgQidoBackend } from './pg-qido.js';

const server = suitePostgres();

/** The bytes an HTTP answer sends (qidoBody: whole, or streamed chunk by chunk). */
async function answerBytes(qido: QidoService, request: Parameters<QidoService['open']>[0]): Promise<Buffer> {
  const body = await qidoBody(await qido.open(request));
  if (Buffer.isBuffer(body)) return body;
  const pieces: Buffer[] = [];
  for await (const piece of body) pieces.push(Buffer.from(piece as Buffer));
  return Buffer.concat(pieces);
}
const { skip } = server;

describe('PostgreSQL placeholders', () => {
  it('numbers the values in order, then the chunk bounds, and refuses a count that does not add up', () => {
    expect(numbered({ sql: 'a = ? AND b LIKE ? AND pk > @after LIMIT @take OFFSET @skip', params: [1, 'x'] })).toEqual({
      text: 'a = $1 AND b LIKE $2 AND pk > $3::bigint LIMIT $4::bigint OFFSET $5::bigint',
      params: [1, 'x'],
    });
    expect(() => numbered({ sql: 'a = ?', params: [] })).toThrow(/1 placeholders for 0 values/);
  });
});

describe.skipIf(skip !== undefined)(server.title('QIDO on PostgreSQL'), () => {
  const COUNT = 1_300;

  it('answers like SQLite across chunk boundaries (generated studies, every kind of key)', async () => {
    const records = generatedRecords(COUNT);
    // Awkward values, one chunk past the first: the packed rows' separator (U+001F) and JSON's escapes.
    records[150]!.json['00081030'] = { vr: 'LO', Value: ['unit\u001fseparator'] };
    records[151]!.json['00081030'] = { vr: 'LO', Value: ['quote " back\\slash \u0001'] };
    // Multibyte and escaped values on both sides of chunk boundaries (after 100, then every 500 rows):
    // each chunk's bytes are written result by result into a Buffer sized for ASCII (qido-response.ts).
    for (const [at, name, description] of [
      [0, '山田^太郎=やまだ^たろう', 'tête 😀'],
      [98, 'Müller^Jürgen', '"quoted" é'],
      [99, 'Øster^Åse', 'tab\t ctl \u0002 Ω'],
      [100, '李^小龙', '😀😀'],
      [599, 'Ærø^Ê', 'a\\b 山'],
      [600, 'Ünal^Ö', 'ß'],
      [1299, 'Ω^Ψ', 'end é'],
    ] as const) {
      records[at]!.json['00100010'] = {
        vr: 'PN',
        Value: [
          { Alphabetic: name.split('=')[0]!, ...(name.includes('=') ? { Ideographic: name.split('=')[1]! } : {}) },
        ],
      };
      records[at]!.json['00081030'] = { vr: 'LO', Value: [description] };
    }
    const sqlite = new SqliteIndex(':memory:');
    sqlite.commitSync(records.map((record) => ({ record, replaces: null })));
    const pg = await PgIndex.open(await server.url(), `q_${randomBytes(6).toString('hex')}`);
    try {
      for (let i = 0; i < records.length; i += 200)
        await pg.commit(records.slice(i, i + 200).map((record) => ({ record, replaces: null })));
      const opts = { publicUrl: PUBLIC_URL, maxResults: 0 };
      const a = new QidoService(new SqliteQidoBackend(sqlite.db), opts);
      const b = new QidoService(new PgQidoBackend(pg.pool, pg.schema), opts);
      for (const [level, query] of [
        ['study', ''],
        ['study', 'ModalitiesInStudy=MR'],
        ['study', 'includefield=StudyDescription'],
        ['study', 'ModalitiesInStudy=MR,CT&offset=37&limit=777'],
        ['study', 'ModalitiesInStudy=M*'],
        ['study', 'StudyDate=20200301-20220101&StudyTime=1000-1300'],
        ['study', 'PatientName=gen^p3*'],
        ['study', 'PatientName=*P3'],
        ['study', 'PatientID=GEN-PID-1?'],
        ['study', 'offset=45&limit=600&includefield=all'],
        ['series', 'ModalitiesInStudy=MR'],
        ['series', 'Modality=CT&SeriesDescription=GEN*'],
        ['instance', 'SOPClassUID=1.2.840.10008.5.1.4.1.1.4'],
        ['instance', 'Rows=64&offset=1299'],
      ] as const) {
        const request = { level: level as QidoLevel, query: new URLSearchParams(query) };
        const expected = (await a.search(request)).body;
        expect(expected.length, `${level} ${query}`).toBeGreaterThan(0);
        expect((await b.search(request)).body, `${level} ${query}`).toEqual(expected);
        // The answer's bytes (rows as arrays, each next chunk asked for before this one is written; SQLite's
        // written by the database): the UTF-8 of the same results stringified.
        const bytes = Buffer.from(JSON.stringify(expected), 'utf8');
        expect((await answerBytes(b, request)).equals(bytes), `${level} ${query}`).toBe(true);
        expect((await answerBytes(a, request)).equals(bytes), `${level} ${query}`).toBe(true);
      }
      // Values are bound, never spliced; LIKE's own % and _ are literal: quotes, SQL and them match nothing.
      for (const value of [
        "x' OR '1'='1",
        'x"; DROP TABLE studies; --',
        "%' OR 1=1 --",
        'GEN_*',
        '%EN*',
        '*N_1*',
        '*N_P1*',
      ]) {
        for (const key of ['PatientID', 'PatientName', 'StudyDescription', 'PatientAge', 'AccessionNumber']) {
          const request = { level: 'study' as const, query: new URLSearchParams({ [key]: value }) };
          expect((await b.search(request)).body, `${key}=${value}`).toEqual([]);
        }
      }
      expect((await b.search({ level: 'study', query: new URLSearchParams() })).body).toHaveLength(COUNT);
    } finally {
      await sqlite.close();
      await pg.dropSchema();
      await pg.close();
    }
  }, 120_000);

  it('has indexes that answer the wildcard forms it compiles: btree for a literal prefix, trigram for none; date and name pages index-only', async () => {
    const pg = await PgIndex.open(await server.url(), `q_${randomBytes(6).toString('hex')}`);
    const client = await pg.pool.connect();
    try {
      await pg.commit(generatedRecords(50).map((record) => ({ record, replaces: null })));
      // With so few rows a sequential scan is cheaper; forbid it to see whether an index can answer.
      await client.query('SET enable_seqscan = off');
      const plan = async (where: string) =>
        (await client.query(`EXPLAIN SELECT pk FROM ${pg.schema}.studies st WHERE ${where}`)).rows
          .map((r) => r['QUERY PLAN'] as string)
          .join('\n');
      expect(await plan(`st.patient_name_norm >= 'gen^p3' AND st.patient_name_norm < 'gen^p4'`)).toMatch(
        /studies_patient_name\b/,
      );
      // On 50 rows a whole scan of the name btree (it carries pk) is cheaper than any trigram
      // lookup: without it (dropped in a transaction rolled back), the trigram index answers.
      await client.query('BEGIN');
      await client.query(`DROP INDEX ${pg.schema}.studies_patient_name`);
      expect(await plan(`st.patient_name_norm LIKE '%en^p3' ESCAPE '\\'`)).toMatch(/studies_patient_name_trigram/);
      await client.query('ROLLBACK');
      expect(await plan(`st.patient_name_alt_norm LIKE '%=yamada%' ESCAPE '\\'`)).toMatch(
        /studies_patient_name_alt_trigram/,
      );
      expect(await plan(`st.description LIKE '%CHEST%' ESCAPE '\\'`)).toMatch(/studies_description_trigram/);
      // VACUUM: the visibility map an index-only scan needs.
      await client.query(`VACUUM ANALYZE ${pg.schema}.studies`);
      // A chunk's keys come from the date and name indexes alone (they carry the key): no row read per match.
      await client.query('SET enable_bitmapscan = off');
      expect(await plan(`st.study_date >= '20200101' AND st.study_date <= '20200201'`)).toMatch(
        /Index Only Scan using studies_date\b/,
      );
      expect(await plan(`st.patient_name_norm >= 'gen^p3' AND st.patient_name_norm < 'gen^p4'`)).toMatch(
        /Index Only Scan using studies_patient_name\b/,
      );
    } finally {
      client.release();
      await pg.dropSchema();
      await pg.close();
    }
  });
});
