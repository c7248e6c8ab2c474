import { setImmediate as nextTurn } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { DicomJson } from '../dicom/types.js';
import type { QidoResults } from '../archive/query/index.js';
import { FIRST_CHUNK, NEXT_CHUNK } from '../archive/query/qido-service.js';
import { generatedArchive } from '../archive/query/test-support.js';
import { led, qidoBody } from './qido-response.js';

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

  it('sends an answer that fits in the first chunk as one string', async () => {
    const small = await qidoBody(
      await qido.open({ level: 'study', query: new URLSearchParams('PatientID=GEN-PID-3&limit=7') }),
    );
    expect(typeof small).toBe('string');
    expect(JSON.parse(small as string)).toHaveLength(7);
    expect(await qidoBody(await qido.open({ level: 'study', query: new URLSearchParams('PatientID=none') }))).toBe(
      '[]',
    );
  });

  it('sends a page whose limit the first chunk reaches as one string', async () => {
    const page = await qidoBody(
      await qido.open({ level: 'study', query: new URLSearchParams(`limit=${FIRST_CHUNK}`) }),
    );
    expect(typeof page).toBe('string');
    expect(JSON.parse(page as string)).toHaveLength(FIRST_CHUNK);
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
    expect(JSON.parse(typeof exact === 'string' ? exact : await text(exact))).toHaveLength(273);
  });

  it('sends each streamed chunk as its UTF-8 bytes behind its lead, whatever the characters', async () => {
    const awkward = ['Müller^Jürgen', '山田^太郎=ヤマダ^タロウ', '😀 "quoted" \\ back', 'plain'];
    const chunk = (i: number) =>
      Array.from({ length: FIRST_CHUNK }, (_, j) => JSON.stringify({ v: awkward[(i + j) % awkward.length] })).join(',');
    const texts = [chunk(0), chunk(1), chunk(2)];
    const results: QidoResults = {
      warnings: [],
      chunks: (async function* () {})(),
      text: (async function* () {
        for (const json of texts) yield { count: FIRST_CHUNK, json };
      })(),
      limit: undefined,
    };
    const body = (await qidoBody(results)) as Readable;
    const pieces: Buffer[] = [];
    for await (const piece of body) pieces.push(Buffer.from(piece as Buffer));
    expect(Buffer.concat(pieces).equals(Buffer.from(`[${texts.join(',')}]`, 'utf8'))).toBe(true);
    expect(led(0x2c, texts[1]!).equals(Buffer.from(`,${texts[1]}`, 'utf8'))).toBe(true);
    expect(led(0x5b, '').equals(Buffer.from('['))).toBe(true);
  });
});
