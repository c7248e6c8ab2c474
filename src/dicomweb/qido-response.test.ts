import { setImmediate as nextTurn } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { DicomJson } from '../dicom/types.js';
import type { QidoResults } from '../archive/query/index.js';
import { FIRST_CHUNK, NEXT_CHUNK } from '../archive/query/qido-service.js';
import { generatedArchive } from '../archive/query/test-support.js';
import { qidoBody, resultBytes } from './qido-response.js';

const COUNT = 3_000;
const { index, qido } = generatedArchive(COUNT);
afterAll(() => index.close());

/** The search's results, counting how many datasets were rendered so far. */
async function counted(query: string): Promise<{ results: QidoResults; rendered: () => number }> {
  const results = await qido.open({ level: 'study', query: new URLSearchParams(query) });
  let rendered = 0;
  const text = (async function* () {
    for await (const chunk of results.text) {
      rendered += chunk.count;
      yield chunk;
    }
  })();
  return { results: { ...results, text }, rendered: () => rendered };
}

async function text(body: Readable): Promise<string> {
  let out = '';
  for await (const piece of body) out += String(piece);
  return out;
}

describe('the QIDO-RS response body', () => {
  it('streams a large answer as one DICOM JSON array equal to the whole answer', async () => {
    const { results } = await counted('');
    const body = await qidoBody(results);
    expect(body).toBeInstanceOf(Readable);
    const parsed = JSON.parse(await text(body as Readable)) as DicomJson[];
    expect(parsed).toHaveLength(COUNT);
    expect(parsed).toEqual((await qido.search({ level: 'study', query: new URLSearchParams() })).body);
  });

  it('renders ahead of a client that does not read by about one chunk, not the whole answer', async () => {
    const { results, rendered } = await counted('');
    const body = (await qidoBody(results)) as Readable;
    // Nobody reads: let the stream fill its buffer as far as it will.
    body.pause();
    body.read(0);
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(rendered()).toBeGreaterThanOrEqual(FIRST_CHUNK);
    expect(rendered()).toBeLessThanOrEqual(FIRST_CHUNK + NEXT_CHUNK);
    // Reading on renders the rest, still a bounded step ahead of the reader.
    let read = 0;
    let maxAhead = 0;
    for await (const piece of body) {
      read += String(piece).split('"00081190"').length - 1;
      maxAhead = Math.max(maxAhead, rendered() - read);
    }
    expect(read).toBe(COUNT);
    expect(maxAhead).toBeLessThanOrEqual(2 * NEXT_CHUNK);
  });

  it('sends an answer that fits in the first chunk whole, as its bytes', async () => {
    const small = await qidoBody(
      await qido.open({ level: 'study', query: new URLSearchParams('PatientID=GEN-PID-3&limit=7') }),
    );
    expect(small).toBeInstanceOf(Buffer);
    expect(JSON.parse(String(small))).toHaveLength(7);
    const none = await qidoBody(await qido.open({ level: 'study', query: new URLSearchParams('PatientID=none') }));
    expect(String(none)).toBe('[]');
  });

  it('sends a page whose limit the first chunk reaches whole, as its bytes', async () => {
    const page = await qidoBody(
      await qido.open({ level: 'study', query: new URLSearchParams(`limit=${FIRST_CHUNK}`) }),
    );
    expect(page).toBeInstanceOf(Buffer);
    expect(JSON.parse(String(page))).toHaveLength(FIRST_CHUNK);
  });

  it('streams an answer that exactly fills the first chunk and ends it properly', async () => {
    const body = await qidoBody(
      await qido.open({ level: 'study', query: new URLSearchParams(`limit=${FIRST_CHUNK + 1}`) }),
    );
    expect(body).toBeInstanceOf(Readable);
    expect(JSON.parse(await text(body as Readable))).toHaveLength(FIRST_CHUNK + 1);
    const exact = await qidoBody(
      await qido.open({ level: 'study', query: new URLSearchParams(`PatientID=GEN-PID-3`) }),
    );
    expect(JSON.parse(Buffer.isBuffer(exact) ? String(exact) : await text(exact))).toHaveLength(273);
  });

  it('sends each streamed chunk as the UTF-8 bytes of its joined text, whatever the characters', async () => {
    const awkward = ['Müller^Jürgen', '山田^太郎=ヤマダ^タロウ', '😀 "quoted" \\ back', 'plain'];
    // Multibyte results at the start, in the middle and at the end of each chunk (its last results decide its size).
    const chunk = (i: number) =>
      Array.from({ length: FIRST_CHUNK }, (_, j) => JSON.stringify({ v: awkward[(i + j) % awkward.length] }));
    const chunks = [chunk(0), chunk(1), chunk(2), chunk(3).map((r, j) => (j < FIRST_CHUNK - 1 ? '{}' : r))];
    const results: QidoResults = {
      warnings: [],
      chunks: (async function* () {})(),
      text: (async function* () {
        for (const r of chunks) yield { count: r.length, results: r };
      })(),
      limit: undefined,
    };
    const body = (await qidoBody(results)) as Readable;
    const pieces: Buffer[] = [];
    for await (const piece of body) pieces.push(Buffer.from(piece as Buffer));
    const joined = `[${chunks.map((r) => r.join(',')).join(',')}]`;
    expect(Buffer.concat(pieces).equals(Buffer.from(joined, 'utf8'))).toBe(true);
  });

  it('encodes results into one chunk exactly as the joined string would be encoded', () => {
    // Texts of one-, two-, three- and four-byte characters, escapes, lone surrogates (EF BF BD): in
    // every position of a chunk, so the Buffer (sized for ASCII) is grown early, late, or not at all.
    const pieces = ['a', '{"x":["b"]}', 'é', '\\"\\u0000', '山', '😀', '\ud800', '\udfff', '', 'Müller^Jürgen=山田'];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const cases: string[][] = [[], [''], ['é'], ['a'.repeat(1000)], ['a'.repeat(999), '😀'], ['😀', 'a'.repeat(999)]];
    for (let c = 0; c < 300; c++) {
      const n = Math.floor(random() * 40);
      cases.push(
        Array.from({ length: n }, () => {
          let s = '';
          const parts = Math.floor(random() * 12);
          for (let p = 0; p < parts; p++) s += pieces[Math.floor(random() * pieces.length)]!;
          return random() < 0.5 ? s : s.replace(/[^\x00-\x7f]/g, 'q');
        }),
      );
    }
    for (const results of cases) {
      for (const [lead, close] of [
        [0x5b, 0x5d],
        [0x2c, undefined],
        [0x5b, undefined],
      ] as const) {
        const text =
          String.fromCharCode(lead) + results.join(',') + (close === undefined ? '' : String.fromCharCode(close));
        const bytes = resultBytes(lead, results, close);
        expect(bytes.equals(Buffer.from(text, 'utf8')), JSON.stringify(results)).toBe(true);
      }
    }
  });
});
