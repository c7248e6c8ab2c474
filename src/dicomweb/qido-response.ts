import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DicomJson } from '../dicom/types.js';
import type { QidoResults } from '../archive/query/index.js';
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
  const chunks = results.chunks[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return '[]';
  if (first.value.length < FIRST_CHUNK || first.value.length === results.limit) return `[${datasetsText(first.value)}]`;
  return Readable.from(arrayText(first.value, chunks), { objectMode: false, highWaterMark: HIGH_WATER_MARK });
}

/** Other requests are served between chunks: a 10,000-result answer does not hold the event loop. */
async function* arrayText(first: DicomJson[], rest: AsyncIterator<DicomJson[]>): AsyncGenerator<string> {
  yield `[${datasetsText(first)}`;
  for (;;) {
    await nextTurn();
    const next = await rest.next();
    if (next.done) break;
    if (next.value.length > 0) yield `,${datasetsText(next.value)}`;
  }
  yield ']';
}

/** The datasets as array elements: one stringify per chunk (cheaper than one per dataset and a join). */
const datasetsText = (datasets: DicomJson[]): string => JSON.stringify(datasets).slice(1, -1);
