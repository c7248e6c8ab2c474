import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../dicom/types.js';
import { aliasOf, INDEXED_ATTRIBUTES } from './indexed-attributes.js';
import { parseQuery } from './query-params.js';
import { renderDataset, type ResultRow } from './render-dataset.js';
import { datasetTextWriter, tupleTextWriter } from './render-text.js';
import { planReturn } from './return-plan.js';
import { resultColumns } from './search-sql.js';
import { forEachQidoBackend, PUBLIC_URL } from './test-support.js';
import type { QidoLevel } from './types.js';

const BASE = `${PUBLIC_URL}/dicomweb`;
const LEVELS: QidoLevel[] = ['study', 'series', 'instance'];
const planOf = (level: QidoLevel, query = '') => planReturn(level, parseQuery(new URLSearchParams(query)));

/** Values a column may hold that need care in JSON text. */
const AWKWARD: unknown[] = [
  'plain',
  '',
  null,
  undefined,
  'quote " and backslash \\ inside',
  'control \u0000\u0001\b\t\n\f\r\u001f end',
  'Ünïcödé 山田 😀',
  'A\\B\\C',
  'Yamada^Tarou=山田^太郎=やまだ^たろう',
  '=Ideographic only=',
  'a=b=c=d',
  '</script>\u2028\u2029',
  0,
  42,
  '17',
  'not a number',
  -3.5,
];

/** A row whose every column holds `pick(i)` for its i-th attribute. */
function row(pick: (i: number) => unknown): ResultRow {
  const out: ResultRow = {};
  INDEXED_ATTRIBUTES.forEach((a, i) => {
    out[aliasOf(a.tag)] = pick(i);
  });
  return out;
}

describe('results written as text straight from their rows', () => {
  it('is exactly the text of the rendered object, whatever the values', () => {
    for (const level of LEVELS) {
      const plan = planOf(level);
      const write = datasetTextWriter(plan, BASE)!;
      for (let shift = 0; shift < AWKWARD.length; shift++) {
        const r = row((i) => AWKWARD[(i + shift) % AWKWARD.length]);
        expect(write(r), `${level} shift ${shift}`).toBe(JSON.stringify(renderDataset(r, plan, BASE)));
      }
    }
  });

  it('writes the same text from rows as arrays (columns read at their positions)', () => {
    for (const level of LEVELS) {
      const plan = planOf(level);
      const columns = resultColumns(plan);
      const write = tupleTextWriter(plan, BASE)!;
      for (let shift = 0; shift < AWKWARD.length; shift++) {
        const r = row((i) => AWKWARD[(i + shift) % AWKWARD.length]);
        const tuple = columns.map((c) => r[c.alias]);
        expect(write(tuple), `${level} shift ${shift}`).toBe(JSON.stringify(renderDataset(r, plan, BASE)));
      }
    }
  });

  it('writes rows as arrays right when one value is awkward among usual ones (one test per row)', () => {
    // Usual values, a multi-value among them: a backslash that separates values, not escaped.
    const USUAL: unknown[] = ['plain', 'CT\\MR', 'Smith^Anna', 7, '1.2.3.4', null];
    for (const base of [BASE, `${BASE}/"q\\`]) {
      for (const level of LEVELS) {
        const plan = planOf(level);
        const columns = resultColumns(plan);
        const write = tupleTextWriter(plan, base)!;
        for (let at = 0; at < columns.length; at++) {
          for (const awkward of [...AWKWARD, 'back\\slash', 'Name^With\\Slash', '\ud800 lone']) {
            const values = columns.map((_, i) => (i === at ? awkward : USUAL[i % USUAL.length]));
            const r: ResultRow = Object.fromEntries(columns.map((c, i) => [c.alias, values[i]]));
            expect(write(values), `${level} ${columns[at]!.alias} ${String(awkward)}`).toBe(
              JSON.stringify(renderDataset(r, plan, base)),
            );
          }
        }
      }
    }
  });

  it('leaves searches that return stored JSON to the object renderer', () => {
    expect(datasetTextWriter(planOf('study', 'includefield=PatientAge'), BASE)).toBeUndefined();
    expect(datasetTextWriter(planOf('study', 'includefield=all'), BASE)).toBeUndefined();
    expect(datasetTextWriter(planOf('study', 'includefield=StudyDescription'), BASE)).toBeDefined();
  });
});

forEachQidoBackend('QIDO-RS answers as text', (_search, archive) => {
  it('hold the same results, as the same text, as the rendered objects', async () => {
    for (const [level, query] of [
      ['study', ''],
      ['study', 'PatientName=*a*'],
      ['study', 'ModalitiesInStudy=CT&offset=1'],
      ['study', 'includefield=PatientAge'],
      ['study', 'includefield=all'],
      ['series', ''],
      ['series', 'includefield=all'],
      ['instance', ''],
      ['instance', 'includefield=00280030'],
    ] as const) {
      const req = () => ({ level, query: new URLSearchParams(query) });
      const objects: DicomJson[] = [];
      for await (const chunk of (await archive().qido.open(req())).chunks) objects.push(...chunk);
      const texts: string[] = [];
      let count = 0;
      for await (const chunk of (await archive().qido.open(req())).text) {
        texts.push(...chunk.results);
        count += chunk.count;
      }
      expect(objects.length, `${level} ${query}`).toBeGreaterThan(0);
      expect(count, `${level} ${query}`).toBe(objects.length);
      expect(`[${texts.join(',')}]`, `${level} ${query}`).toBe(JSON.stringify(objects));
    }
  });
});
