import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DatasetsText, QidoResults } from '../archive/query/index.js';
import { FIRST_CHUNK } from '../archive/query/qido-service.js';

/**
 * Render the next chunk only once the previous one has been handed on: the first chunk goes
 * out before the second is read, and a slow client holds back at most about one chunk.
 */
const HIGH_WATER_MARK = 1;

/**
 * A QIDO-RS answer as the DICOM JSON array (PS3.18 F.2), text produced chunk by chunk as the
 * client reads it: memory holds about one chunk whatever the number of results. An answer
 * that is complete with the first chunk (fewer than a chunk, or the limit reached: a study
 * list's page of 100) is sent whole, a string with Content-Length.
 */
export async function qidoBody(results: QidoResults): Promise<string | Readable> {
  const chunks = results.text[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return '[]';
  if (first.value.count < FIRST_CHUNK || first.value.count === results.limit) return `[${first.value.json}]`;
  return Readable.from(arrayText(first.value, chunks), { objectMode: false, highWaterMark: HIGH_WATER_MARK });
}

/**
 * Other requests are served between chunks: a 10,000-result answer does not hold the event loop.
 * Each chunk goes out as bytes encoded here behind its one-byte lead (`[` or `,`): a string
 * `,${json}` would be a rope the stream flattens (a copy of the chunk's text) before encoding it.
 */
async function* arrayText(first: DatasetsText, rest: AsyncIterator<DatasetsText>): AsyncGenerator<Buffer | string> {
  yield led(OPEN, first.json);
  for (;;) {
    await nextTurn();
    const next = await rest.next();
    if (next.done) break;
    if (next.value.count > 0) yield led(COMMA, next.value.json);
  }
  yield ']';
}

const OPEN = 0x5b; // [
const COMMA = 0x2c; // ,

/** `lead` then the text, as UTF-8: one encoding of the (flat) text, no copy of it. */
export function led(lead: number, text: string): Buffer {
  const out = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
  out[0] = lead;
  out.write(text, 1);
  return out;
}
