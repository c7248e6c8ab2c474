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
  if (fields.extra === undefined) return encodeOwnFileMeta(fields);
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

/**
 * The File Meta of our own fields only, written directly: every C-STORE gets one, and the
 * general writer costs ≈ 0.1 ms per instance for these seven elements. Same bytes (tested).
 */
function encodeOwnFileMeta(fields: FileMetaFields): Buffer {
  const short: [number, string, string, string][] = [
    [0x0002, 'UI', fields.sopClassUid, '\0'],
    [0x0003, 'UI', fields.sopInstanceUid, '\0'],
    [0x0010, 'UI', fields.transferSyntaxUid, '\0'],
    [0x0012, 'UI', IMPLEMENTATION_CLASS_UID, '\0'],
    [0x0013, 'SH', IMPLEMENTATION_VERSION_NAME, ' '],
  ];
  if (fields.sourceAeTitle) short.push([0x0016, 'AE', fields.sourceAeTitle, ' ']);
  const values = short.map(([, , v, pad]) => {
    const text = Buffer.from(v, 'latin1');
    return text.length % 2 === 0 ? text : Buffer.concat([text, Buffer.from(pad, 'latin1')]);
  });
  // (0002,0000) UL, (0002,0001) OB 00 01, then the short-form elements.
  const bodyLength = 14 + values.reduce((n, v) => n + 8 + v.length, 0);
  const out = Buffer.alloc(12 + bodyLength);
  out.write('\u0002\u0000\u0000\u0000UL', 0, 'latin1');
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(bodyLength, 8);
  out.write('\u0002\u0000\u0001\u0000OB\u0000\u0000', 12, 'latin1');
  out.writeUInt32LE(2, 20);
  out[25] = 1;
  let at = 26;
  short.forEach(([element, vr], i) => {
    const value = values[i]!;
    if (value.length > 0xffff) throw new DicomEncodeError(`File Meta (0002,${element.toString(16)}) is too long`);
    out.writeUInt16LE(0x0002, at);
    out.writeUInt16LE(element, at + 2);
    out.write(vr, at + 4, 'latin1');
    out.writeUInt16LE(value.length, at + 6);
    value.copy(out, at + 8);
    at += 8 + value.length;
  });
  return out;
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
