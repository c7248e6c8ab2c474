import { afterAll, describe, expect, it } from 'vitest';
import type { DicomJson } from '../../dicom/types.js';
import { compileSearch } from '../sqlite/sqlite-qido.js';
import { FIRST_CHUNK, NEXT_CHUNK } from './qido-service.js';
import { BEFORE_ALL, chunkParams } from './search-sql.js';
import { renderDataset, type ResultRow } from './render-dataset.js';
import { generatedArchive, generatedRecords, PUBLIC_URL } from './test-support.js';
import type { QidoLevel } from './types.js';

const COUNT = 1_300;
const { index, qido } = generatedArchive(COUNT);
afterAll(() => index.close());

const request = (level: QidoLevel, query: string) => ({ level, query: new URLSearchParams(query) });
const uidsOf = (datasets: DicomJson[], tag = '0020000D') => datasets.map((d) => d[tag]?.Value?.[0]);
const generatedUid = (i: number) => `1.2.826.0.1.9.${i + 1}`;
const all = (n: number) => Array.from({ length: n }, (_, i) => i);
const collect = async (chunks: AsyncIterable<DicomJson[]>) => {
  const out: DicomJson[][] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
};

/** What the search was before chunking: one statement reading the whole page, offset and limit in SQL. */
function onePass(level: QidoLevel, query: string): DicomJson[] {
  const { plan, limit, statement, query: parsed } = compileSearch(request(level, query));
  const bounds = { after: BEFORE_ALL, take: limit ?? 1e9, skip: parsed.offset };
  const rows = index.db.prepare(statement.sql).all(...chunkParams(statement, bounds)) as ResultRow[];
  return rows.map((row) => renderDataset(row, plan, `${PUBLIC_URL}/dicomweb`));
}

describe('QIDO-RS answers read chunk by chunk', () => {
  it('sends a small first chunk, then chunks of at most NEXT_CHUNK, with no cap', async () => {
    const { chunks, warnings } = await qido.open(request('study', ''));
    const sizes = (await collect(chunks)).map((c) => c.length);
    expect(sizes[0]).toBe(FIRST_CHUNK);
    expect(Math.max(...sizes.slice(1))).toBe(NEXT_CHUNK);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(COUNT);
    expect(warnings).toEqual([]);
  });

  it('gives the same results, in the same order, as one statement reading them all', async () => {
    for (const [level, query] of [
      ['study', ''],
      ['study', 'ModalitiesInStudy=MR'],
      ['study', 'ModalitiesInStudy=MR,CT'],
      ['study', 'ModalitiesInStudy=M*'],
      ['study', 'StudyDate=20200301-20220101'],
      ['study', 'PatientName=gen^p3*'],
      ['study', 'ModalitiesInStudy=MR&offset=37&limit=777'],
      ['study', 'offset=45&limit=600&includefield=all'],
      ['series', 'ModalitiesInStudy=MR'],
      ['series', 'Modality=CT'],
      ['instance', 'SOPClassUID=1.2.840.10008.5.1.4.1.1.4'],
      ['instance', 'offset=1299'],
    ] as const) {
      const chunked = (await qido.search(request(level, query))).body;
      expect(chunked.length, `${level} ${query}`).toBeGreaterThan(0);
      expect(chunked, `${level} ${query}`).toEqual(onePass(level, query));
    }
  });

  it('finds exactly the generated studies a key describes, across chunk boundaries', async () => {
    const mr = all(COUNT).filter((i) => i % 3 === 0);
    expect(uidsOf((await qido.search(request('study', 'ModalitiesInStudy=MR'))).body)).toEqual(mr.map(generatedUid));
    // 2020-03-01 is day 60; 2022-01-01 is day 731.
    const dated = all(COUNT).filter((i) => i >= 60 && i <= 731);
    expect(uidsOf((await qido.search(request('study', 'StudyDate=20200301-20220101'))).body)).toEqual(
      dated.map(generatedUid),
    );
    expect(uidsOf((await qido.search(request('study', 'ModalitiesInStudy=MR&offset=37&limit=777'))).body)).toEqual(
      mr.slice(37, 37 + 777).map(generatedUid),
    );
    expect(uidsOf((await qido.search(request('study', 'offset=45&limit=600'))).body)).toEqual(
      all(COUNT).slice(45, 645).map(generatedUid),
    );
    expect((await qido.search(request('study', 'offset=1300'))).body).toEqual([]);
    expect((await qido.search(request('study', 'limit=0'))).body).toEqual([]);
  });

  it('leaves no cursor open between chunks: the index takes writes meanwhile', async () => {
    const chunks = (await qido.open(request('study', 'ModalitiesInStudy=MR'))).chunks[Symbol.asyncIterator]();
    const seen = [...((await chunks.next()).value as DicomJson[])];
    const late = generatedRecords(1, '1.2.826.0.1.8')[0]!; // MR: i = 0
    expect(() => index.commitSync([{ record: late, replaces: null }])).not.toThrow();
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) seen.push(...next.value);
    // Index order: a study added meanwhile comes after everything read before it.
    expect(uidsOf(seen).at(-1)).toBe(late.studyUid);
    expect(seen).toHaveLength(Math.ceil(COUNT / 3) + 1);
  });
});

describe('the optional server cap', () => {
  const capped = generatedArchive(120, 100);
  afterAll(() => capped.index.close());
  const TRUNCATED = '299 imaging-bridge "The number of results exceeded the maximum supported; use limit/offset"';

  it('cuts at the cap with a Warning known before the first result', async () => {
    const { warnings, chunks } = await capped.qido.open(request('study', ''));
    expect(warnings).toEqual([TRUNCATED]);
    expect((await collect(chunks)).flat()).toHaveLength(100);
  });

  it('gives no Warning when what is left after the offset fits', async () => {
    const { warnings, chunks } = await capped.qido.open(request('study', 'offset=20'));
    expect(warnings).toEqual([]);
    expect((await collect(chunks)).flat()).toHaveLength(100);
    expect((await capped.qido.open(request('study', 'offset=21'))).warnings).toEqual([]);
    expect((await capped.qido.open(request('study', 'offset=19'))).warnings).toEqual([TRUNCATED]);
  });

  it('does not apply to DIMSE searches', async () => {
    const { warnings, chunks } = await capped.qido.open(request('study', ''), { uncapped: true });
    expect(warnings).toEqual([]);
    expect((await collect(chunks)).flat()).toHaveLength(120);
  });
});
