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
 * list's page of 100) is sent whole, its bytes with Content-Length.
 */
export async function qidoBody(results: QidoResults): Promise<Buffer | Readable> {
  const chunks = results.text[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return Buffer.from('[]');
  if (first.value.count < FIRST_CHUNK || first.value.count === results.limit)
    return resultBytes(OPEN, first.value.results, CLOSE);
  return Readable.from(arrayText(first.value, chunks), { objectMode: false, highWaterMark: HIGH_WATER_MARK });
}

/** Other requests are served between chunks: a 10,000-result answer does not hold the event loop. */
async function* arrayText(first: DatasetsText, rest: AsyncIterator<DatasetsText>): AsyncGenerator<Buffer> {
  yield resultBytes(OPEN, first.results);
  for (;;) {
    await nextTurn();
    const next = await rest.next();
    if (next.done) break;
    if (next.value.count > 0) yield resultBytes(COMMA, next.value.results);
  }
  yield Buffer.from(']');
}

const OPEN = 0x5b; // [
const COMMA = 0x2c; // ,
const CLOSE = 0x5d; // ]
/** UTF-8 bytes per UTF-16 code unit at most (a pair's 4 bytes are 2 units; a lone surrogate, EF BF BD, is 1). */
const MAX_UTF8_PER_UNIT = 3;

/**
 * `lead`, the results comma-separated, then `close` if given: the UTF-8 bytes
 * `Buffer.from(String.fromCharCode(lead) + results.join(',') + …)` would give, each result
 * encoded straight into the chunk's Buffer — no joined string (a copy of the chunk's text)
 * and no separate pass to count its bytes. The Buffer is sized for ASCII text (one byte a
 * unit; DICOM JSON mostly is); a result is written only where it surely fits, and once one
 * might not (near the end, or after multibyte text), the rest's bytes are counted and the
 * Buffer grown once to the exact size.
 */
export function resultBytes(lead: number, results: readonly string[], close?: number): Buffer {
  const n = results.length;
  // Bytes still to come after the result being written, at one byte a unit: the later results, their commas, `close`.
  let rest = close === undefined ? 0 : 1;
  for (let i = 0; i < n; i++) rest += results[i]!.length + (i > 0 ? 1 : 0);
  let out = Buffer.allocUnsafe(1 + rest);
  out[0] = lead;
  let at = 1;
  let exact = false;
  for (let i = 0; i < n; i++) {
    const text = results[i]!;
    if (i > 0) out[at++] = COMMA;
    rest -= text.length + (i > 0 ? 1 : 0);
    if (!exact && out.length - at - rest < text.length * MAX_UTF8_PER_UNIT) {
      // The exact size of what is left, from here: grown (one copy of what is written) if it is more than the room.
      let left = close === undefined ? 0 : 1;
      for (let j = i; j < n; j++) left += Buffer.byteLength(results[j]!) + (j > i ? 1 : 0);
      if (out.length - at < left) {
        const grown = Buffer.allocUnsafe(at + left);
        out.copy(grown, 0, 0, at);
        out = grown;
      }
      exact = true;
    }
    at += out.write(text, at);
  }
  if (close !== undefined) out[at++] = close;
  return at === out.length ? out : out.subarray(0, at);
}
