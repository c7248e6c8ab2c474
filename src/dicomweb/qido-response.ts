import { Readable } from 'node:stream';
import type { DicomJson } from '../dicom/types.js';
import type { QidoResults } from '../archive/query/index.js';
import { FIRST_CHUNK } from '../archive/query/qido-service.js';

/** Bytes buffered ahead of a slow client: about one chunk of results is rendered at a time. */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * A QIDO-RS answer as the DICOM JSON array (PS3.18 F.2), text produced chunk by chunk as the
 * client reads it: memory holds about one chunk whatever the number of results. An answer
 * that fits in the first chunk is sent whole (a string: with Content-Length).
 */
export function qidoBody(results: QidoResults): string | Readable {
  const chunks = results.chunks[Symbol.iterator]();
  const first = chunks.next();
  if (first.done) return '[]';
  if (first.value.length < FIRST_CHUNK) return `[${datasetsText(first.value)}]`;
  return Readable.from(arrayText(first.value, chunks), { objectMode: false, highWaterMark: HIGH_WATER_MARK });
}

function* arrayText(first: DicomJson[], rest: Iterator<DicomJson[]>): Generator<string> {
  yield `[${datasetsText(first)}`;
  for (let next = rest.next(); !next.done; next = rest.next()) {
    if (next.value.length > 0) yield `,${datasetsText(next.value)}`;
  }
  yield ']';
}

const datasetsText = (datasets: DicomJson[]): string => datasets.map((d) => JSON.stringify(d)).join(',');
