/**
 * Part 10 files (PS3.10 7.1): preamble, "DICM", File Meta (group 0002, explicit VR little
 * endian, with its group length), then the dataset in the transfer syntax.
 */
import { deflateRawSync } from 'node:zlib';
import { encodeDataset } from './dataset-writer.js';
import { EXPLICIT_LE } from './element-header.js';
import { jsonString } from './json-values.js';
import { TransferSyntax, encodingOf, isEncapsulatedTransferSyntax } from './transfer-syntax.js';
import type { DicomJson } from './types.js';
import { DicomEncodeError } from './value-encode.js';

export const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1456.1';
export const IMPLEMENTATION_VERSION_NAME = 'IMGBRIDGE_01';

export interface FileMetaFields {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAeTitle?: string;
  /** Further group 0002 attributes to keep (ours win for the fields above). */
  extra?: DicomJson;
}

/** Group 0002 with its (0002,0000) group length, ready to follow "DICM". */
export function encodeFileMeta(fields: FileMetaFields): Buffer {
  const meta: DicomJson = {};
  for (const [k, v] of Object.entries(fields.extra ?? {})) if (k.startsWith('0002')) meta[k.toUpperCase()] = v;
  meta['00020001'] = { vr: 'OB', InlineBinary: Buffer.from([0, 1]).toString('base64') };
  meta['00020002'] = { vr: 'UI', Value: [fields.sopClassUid] };
  meta['00020003'] = { vr: 'UI', Value: [fields.sopInstanceUid] };
  meta['00020010'] = { vr: 'UI', Value: [fields.transferSyntaxUid] };
  meta['00020012'] = { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] };
  meta['00020013'] = { vr: 'SH', Value: [IMPLEMENTATION_VERSION_NAME] };
  if (fields.sourceAeTitle) meta['00020016'] = { vr: 'AE', Value: [fields.sourceAeTitle] };
  const body = encodeDataset(meta, { syntax: EXPLICIT_LE, includeFileMetaGroup: true });
  const groupLength = Buffer.alloc(12);
  groupLength.write('\u0002\u0000\u0000\u0000UL', 0, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(body.length, 8);
  return Buffer.concat([groupLength, body]);
}

/** 128 zero bytes and "DICM" (PS3.10 7.1). */
export function preamble(): Buffer {
  const b = Buffer.alloc(132);
  b.write('DICM', 128, 'latin1');
  return b;
}

export interface EncodeOptions {
  transferSyntaxUid?: string;
  bulk?: Record<string, Buffer>;
  /** Default true. false writes the File Meta without the 128-byte preamble and "DICM". */
  includePreamble?: boolean;
  /** Write sequences and items with defined lengths instead of delimiters. */
  definedLengthSequences?: boolean;
}

/** The dataset alone (no File Meta), as C-STORE carries it. */
export function encodeDatasetBytes(json: DicomJson, opts: EncodeOptions = {}): Buffer {
  const ts = opts.transferSyntaxUid ?? TransferSyntax.ExplicitVRLittleEndian;
  const enc = encodingOf(ts);
  const body = encodeDataset(json, {
    syntax: { explicit: enc.explicit, littleEndian: enc.littleEndian },
    bulk: opts.bulk,
    encapsulatedPixelData: isEncapsulatedTransferSyntax(ts),
    definedLengthSequences: opts.definedLengthSequences,
  });
  return enc.deflated ? deflateRawSync(body) : body;
}

export function encodePart10(json: DicomJson, opts: EncodeOptions = {}): Buffer {
  const ts = opts.transferSyntaxUid ?? TransferSyntax.ExplicitVRLittleEndian;
  const sopClassUid = jsonString(json, '00080016') || jsonString(json, '00020002');
  const sopInstanceUid = jsonString(json, '00080018') || jsonString(json, '00020003');
  if (!sopClassUid || !sopInstanceUid)
    throw new DicomEncodeError('a Part 10 file needs SOPClassUID and SOPInstanceUID');
  const meta = encodeFileMeta({ sopClassUid, sopInstanceUid, transferSyntaxUid: ts, extra: json });
  const dataset = encodeDatasetBytes(json, { ...opts, transferSyntaxUid: ts });
  return Buffer.concat(opts.includePreamble === false ? [meta, dataset] : [preamble(), meta, dataset]);
}

export function wrapDataset(
  dataset: Buffer,
  meta: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string; sourceAeTitle?: string },
): Buffer {
  return Buffer.concat([preamble(), encodeFileMeta(meta), dataset]);
}
