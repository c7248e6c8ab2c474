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
  // The usual case, decided without decoding the group: a File Meta after the preamble naming
  // exactly this data set. Anything else (or anything unusual) goes the full way below.
  if (
    at.hasFileMeta &&
    at.metaStart === PREAMBLE_AND_MARKER &&
    namesIdentity(prefix, at.metaStart, at.datasetOffset, identity)
  )
    return { datasetOffset: at.datasetOffset };
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

/** VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UI_TAGS = new Map<number, keyof ServedIdentity>([
  [0x00020002, 'sopClassUid'],
  [0x00020003, 'sopInstanceUid'],
  [0x00020010, 'transferSyntaxUid'],
]);

/**
 * Whether the group 0002 elements in bytes[start, end) (explicit VR little endian) hold Media
 * Storage SOP Class UID, Media Storage SOP Instance UID and Transfer Syntax UID once each, with
 * exactly the identity's values (trailing NUL / space padding aside), and end exactly at `end`.
 * False whenever anything is unusual: the caller then decodes the group.
 */
function namesIdentity(bytes: Buffer, start: number, end: number, identity: ServedIdentity): boolean {
  let matched = 0;
  let off = start;
  while (off < end) {
    if (off + 8 > end) return false;
    const tag = ((bytes.readUInt16LE(off) << 16) | bytes.readUInt16LE(off + 2)) >>> 0;
    const vr = bytes.toString('latin1', off + 4, off + 6);
    let valueStart: number;
    let length: number;
    if (LONG_VRS.has(vr)) {
      if (off + 12 > end) return false;
      length = bytes.readUInt32LE(off + 8);
      valueStart = off + 12;
    } else {
      if (!/^[A-Z]{2}$/.test(vr)) return false;
      length = bytes.readUInt16LE(off + 6);
      valueStart = off + 8;
    }
    const valueEnd = valueStart + length;
    if (valueEnd > end) return false; // also the undefined length 0xFFFFFFFF
    const field = UI_TAGS.get(tag);
    if (field !== undefined) {
      if (vr !== 'UI') return false;
      let last = valueEnd;
      while (last > valueStart && (bytes[last - 1] === 0 || bytes[last - 1] === 0x20)) last--;
      if (bytes.toString('latin1', valueStart, last) !== identity[field]) return false;
      matched++;
    }
    off = valueEnd;
  }
  return off === end && matched === UI_TAGS.size;
}
