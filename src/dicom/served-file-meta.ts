/**
 * The File Meta a stored object is served with as a PS3.10 file (WADO-RS application/dicom):
 * its own when it has one, after the preamble, naming the data set's SOP Class and Instance;
 * otherwise one regenerated from the data set's identity (objects received without File Meta,
 * or whose File Meta disagreed with the data set). The stored bytes stay as received: only
 * the bytes before the data set are replaced on the way out.
 */
import { bufferSource } from './byte-source.js';
import { parseDataset } from './dataset-parser.js';
import { EXPLICIT_LE } from './element-header.js';
import { locateFileMeta } from './file-meta.js';
import { jsonString } from './json-values.js';
import { encodeFileMeta, preamble } from './part10-writer.js';
import type { DicomJson } from './types.js';

/** What the index knows of the instance: its data set's identity and transfer syntax. */
export interface ServedIdentity {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}

export interface ServedHeader {
  /** Where the data set starts in the stored bytes. */
  datasetOffset: number;
  /** Preamble + File Meta to send instead of the stored bytes before `datasetOffset`; absent: send them as stored. */
  replacement?: Buffer;
}

const PREAMBLE_AND_MARKER = 132;

/**
 * Decide from the first stored bytes. With `complete` false, `prefix` may be a part of the
 * object: undefined means more bytes are needed to decide.
 */
export function servedHeader(prefix: Buffer, identity: ServedIdentity, complete: boolean): ServedHeader | undefined {
  const source = bufferSource(prefix);
  const at = locateFileMeta(source, !complete);
  if (!at) return undefined;
  let received: DicomJson = {};
  if (at.hasFileMeta) {
    received = parseDataset(source, at.metaStart, at.datasetOffset, EXPLICIT_LE, {
      bulkDataThreshold: Number.POSITIVE_INFINITY,
      keepFileMetaGroup: true,
    }).json;
    const consistent =
      at.metaStart === PREAMBLE_AND_MARKER &&
      jsonString(received, '00020002') === identity.sopClassUid &&
      jsonString(received, '00020003') === identity.sopInstanceUid &&
      jsonString(received, '00020010') === identity.transferSyntaxUid;
    if (consistent) return { datasetOffset: at.datasetOffset };
  }
  // Other group 0002 attributes (Source AE Title, private information) are kept; ours name the data set.
  const meta = encodeFileMeta({
    sopClassUid: identity.sopClassUid,
    sopInstanceUid: identity.sopInstanceUid,
    transferSyntaxUid: identity.transferSyntaxUid,
    extra: received,
  });
  return { datasetOffset: at.datasetOffset, replacement: Buffer.concat([preamble(), meta]) };
}
