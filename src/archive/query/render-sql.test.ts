import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../dicom/types.js';
import { SqliteIndex } from '../sqlite/sqlite-index.js';
import { SqliteQidoBackend } from '../sqlite/sqlite-qido.js';
import { SQLITE_DIALECT } from './dialect.js';
import { INDEXED_ATTRIBUTES } from './indexed-attributes.js';
import { parseQuery } from './query-params.js';
import type { QidoBackend } from './qido-backend.js';
import { QidoService } from './qido-service.js';
import { datasetTextSql } from './render-sql.js';
import { planReturn } from './return-plan.js';
import { PUBLIC_URL, testRecords } from './test-support.js';
import type { QidoLevel } from './types.js';

/** Text values that need care in JSON text or in the SQL that writes it. */
const AWKWARD = [
  'plain',
  '',
  'quote " and backslash \\ inside',
  'control \u0001\b\t\n\f\r\u001f\u007f end',
  "it's -- /* not */ SQL; ?",
  'Ünïcödé 山田 😀',
  'A\\B\\C',
  '\\lead\\\\trail\\',
  '\\"',
  'Yamada^Tarou=山田^太郎=やまだ^たろう',
  '=Ideographic only=',
  '==',
  '=',
  'a=b=c=d',
  '=="\\',
  '</script>\u2028\u2029',
  '17',
  'nul \u0000 inside',
];
/** Values of integer columns; null where the column allows it. */
const NUMBERS = [null, 0, 42, -7, 2147483647];

const TABLES = { st: 'studies', s: 'series', i: 'instances' } as const;

/** Each indexed column as `table`, `column`, and whether it holds text or an integer. */
const COLUMNS = INDEXED_ATTRIBUTES.filter((a) => a.select).map((a) => {
  const [alias, column] = a.select!.split('.') as [keyof typeof TABLES, string];
  return { table: TABLES[alias], column, number: a.render === 'number' };
});
const NOT_NULL = new Set(['num_series', 'num_instances']);
/** Columns whose values must stay unique: the row's primary key follows the awkward value. */
const UNIQUE = new Set(['study_uid', 'series_uid', 'sop_uid']);

/** Every indexed column of every row set to an awkward value (shifted per row), through `run`. */
async function makeAwkward(
  run: (sql: string, params: unknown[]) => Promise<void>,
  table: (name: string) => string,
  texts: string[],
  round: number,
): Promise<void> {
  for (const [i, { table: t, column, number }] of COLUMNS.entries()) {
    const shift = i + round;
    const values = number ? NUMBERS.filter((n) => n !== null || !NOT_NULL.has(column)) : texts;
    // One value per row, picked by the row's primary key: every row differs.
    for (let k = 0; k < values.length; k++)
      await run(
        `UPDATE ${table(t)} SET ${column} = ?${UNIQUE.has(column) ? ' || pk' : ''} WHERE (pk + ${shift}) % ${values.length} = ${k}`,
        [values[k]],
      );
  }
}

/** The database's text against the objects rendered from the same rows (render-dataset.ts), at every level. */
async function expectSameText(backend: QidoBackend): Promise<void> {
  const qido = new QidoService(backend, { publicUrl: PUBLIC_URL });
  for (const level of ['study', 'series', 'instance'] as QidoLevel[]) {
    for (const query of ['', 'limit=2', 'offset=1']) {
      const req = () => ({ level, query: new URLSearchParams(query) });
      const objects: DicomJson[] = [];
      for await (const chunk of (await qido.open(req())).chunks) objects.push(...chunk);
      let text = '';
      for await (const chunk of (await qido.open(req())).text) text += `${text ? ',' : ''}${chunk.results.join(',')}`;
      expect(objects.length, `${level} ${query}`).toBeGreaterThan(0);
      expect(`[${text}]`, `${level} ${query}`).toBe(JSON.stringify(objects));
    }
  }
}

describe('results written as text by SQLite', () => {
  it('only for results of index columns alone; the DICOMweb base is bound, not spliced', () => {
    const plan = (query: string) => planReturn('study', parseQuery(new URLSearchParams(query)));
    expect(datasetTextSql(plan('includefield=PatientAge'), 'x', SQLITE_DIALECT)).toBeUndefined();
    expect(datasetTextSql(plan('includefield=all'), 'x', SQLITE_DIALECT)).toBeUndefined();
    const base = "https://h/it's?@after";
    const text = datasetTextSql(plan('includefield=StudyDescription'), base, SQLITE_DIALECT)!;
    expect(text.params).toEqual([base]);
    expect(text.sql).not.toContain('https://h/');
  });

  it('is exactly the text of the rendered objects, whatever the values', async () => {
    const index = new SqliteIndex(':memory:');
    try {
      index.commitSync(testRecords().map((record) => ({ record, replaces: null })));
      const run = async (sql: string, params: unknown[]) => void index.db.prepare(sql).run(...params);
      for (let round = 0; round < AWKWARD.length; round += 3) {
        await makeAwkward(run, (t) => t, AWKWARD, round);
        await expectSameText(new SqliteQidoBackend(index.db));
      }
    } finally {
      index.close();
    }
  });
});
