import { DicomParseError, datasetOffset } from '../dicom/index.js';
import type { BlobWriter } from './types.js';

const HEAD_BYTES = 64 * 1024;
/** Chunks are gathered and written with one writev per this many bytes. */
const WRITE_BATCH = 1 << 20;

/**
 * Streams one object into a blob and keeps its first 64 KB for the header parser. Checks
 * early that the bytes are DICOM; on failure the rest of the stream is still read, so a
 * multipart body can move on to its next part. One write is in flight while the next
 * batch is gathered.
 */
export async function receive(chunks: AsyncIterable<Buffer>, writer: BlobWriter): Promise<Buffer> {
  const headParts: Buffer[] = [];
  let headLen = 0;
  let checked = false;
  let batch: Buffer[] = [];
  let batchLen = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let failure: unknown;
  const flush = async () => {
    const out = batch;
    batch = [];
    batchLen = 0;
    await inFlight;
    inFlight = writer.writev(out);
    inFlight.catch(() => undefined);
  };
  for await (const chunk of chunks) {
    if (failure) continue;
    try {
      if (headLen < HEAD_BYTES) {
        headParts.push(chunk);
        headLen += chunk.length;
      }
      if (!checked)
        checked = datasetOffset(headParts.length === 1 ? headParts[0]! : Buffer.concat(headParts)) !== undefined;
      batch.push(chunk);
      batchLen += chunk.length;
      if (batchLen >= WRITE_BATCH || writer.holdsInMemory?.()) await flush();
    } catch (e) {
      failure = e;
    }
  }
  if (failure) {
    await inFlight.catch(() => undefined);
    throw failure;
  }
  if (batchLen > 0) await flush();
  await inFlight;
  const head = Buffer.concat(headParts);
  if (datasetOffset(head) === undefined) {
    throw new DicomParseError(`input ends after ${head.length} bytes, inside the File Meta Information`);
  }
  return head;
}
