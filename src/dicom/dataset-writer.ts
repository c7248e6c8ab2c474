/**
 * DICOM JSON → dataset bytes in a given stream syntax. Sequences and items are written
 * with undefined length by default (no need to know item sizes in advance); the
 * defined-length form exists so tests can exercise both.
 */
import { pathOfBulkUri } from './bulk-path.js';
import { ByteSink } from './byte-sink.js';
import { writerEncoding } from './charset-decode.js';
import {
  ITEM,
  ITEM_DELIMITER,
  PIXEL_DATA,
  SEQUENCE_DELIMITER,
  UNDEFINED_LENGTH,
  type StreamSyntax,
} from './element-header.js';
import type { DicomJson, DicomJsonAttribute } from './types.js';
import { DicomEncodeError, encodeValue } from './value-encode.js';
import { LONG_LENGTH_VRS } from './vr.js';

export interface DatasetWriteOptions {
  syntax: StreamSyntax;
  /** Values for BulkDataURI attributes, keyed by path ("7FE00010") or by the URI itself. */
  bulk?: Record<string, Buffer>;
  /** PixelData is already an encapsulated item stream (encapsulated transfer syntaxes). */
  encapsulatedPixelData?: boolean;
  definedLengthSequences?: boolean;
  /** Write group 0002 attributes too (only for building the File Meta). */
  includeFileMetaGroup?: boolean;
}

export function encodeDataset(json: DicomJson, opts: DatasetWriteOptions): Buffer {
  const sink = new ByteSink(opts.syntax.littleEndian);
  writeDataset(sink, json, opts, '', undefined);
  return sink.toBuffer();
}

function sortedTags(json: DicomJson): [number, string][] {
  return Object.keys(json)
    .map((k): [number, string] => {
      if (!/^[0-9A-Fa-f]{8}$/.test(k)) throw new DicomEncodeError(`"${k}" is not an 8-digit hex tag`);
      return [parseInt(k, 16), k];
    })
    .sort((a, b) => a[0] - b[0]);
}

function writeDataset(
  sink: ByteSink,
  json: DicomJson,
  opts: DatasetWriteOptions,
  path: string,
  inherited: string[] | undefined,
): void {
  const charsetAttr = json['00080005']?.Value;
  const charset = charsetAttr ? charsetAttr.map((v) => String(v ?? '')) : inherited;
  const text = writerEncoding(charset);
  for (const [tag, key] of sortedTags(json)) {
    if (tag >>> 16 === 0x0002 && !opts.includeFileMetaGroup) continue;
    if ((tag & 0xffff) === 0) continue; // group lengths would be wrong after any edit; omit them
    const attr = json[key]!;
    const keyPath = path + key.toUpperCase();
    if (attr.vr === 'SQ') writeSequence(sink, tag, attr, opts, keyPath, charset);
    else if (tag === PIXEL_DATA && opts.encapsulatedPixelData && path === '')
      writeEncapsulated(sink, attr, opts, keyPath);
    else writeElement(sink, tag, attr, opts, keyPath, text);
  }
}

function bulkValue(attr: DicomJsonAttribute, opts: DatasetWriteOptions, path: string): Buffer | undefined {
  if (attr.InlineBinary !== undefined) return Buffer.from(attr.InlineBinary, 'base64');
  if (attr.BulkDataURI === undefined) return undefined;
  const uri = attr.BulkDataURI;
  const byUri = pathOfBulkUri(uri) ?? uri;
  const value = opts.bulk?.[byUri] ?? opts.bulk?.[uri] ?? opts.bulk?.[path];
  if (!value) throw new DicomEncodeError(`no bulk data supplied for ${path} (BulkDataURI ${JSON.stringify(uri)})`);
  return value;
}

function writeElement(
  sink: ByteSink,
  tag: number,
  attr: DicomJsonAttribute,
  opts: DatasetWriteOptions,
  path: string,
  text: BufferEncoding,
): void {
  const value = encodeValue(attr, attr.vr, opts.syntax.littleEndian, text, () => bulkValue(attr, opts, path));
  let vr = attr.vr;
  // A value too long for a 2-byte length field can only be carried as UN (PS3.5 6.2.2).
  if (opts.syntax.explicit && !LONG_LENGTH_VRS.has(vr) && value.length > 0xffff) vr = 'UN';
  sink.header(tag, vr, value.length, opts.syntax);
  sink.bytes(value);
}

function writeEncapsulated(sink: ByteSink, attr: DicomJsonAttribute, opts: DatasetWriteOptions, path: string): void {
  const items = bulkValue(attr, opts, path) ?? Buffer.alloc(0);
  sink.header(PIXEL_DATA, 'OB', UNDEFINED_LENGTH, opts.syntax);
  sink.bytes(items);
  const endsWithDelimiter =
    items.length >= 8 &&
    items.readUInt32LE(items.length - 8) === 0xe0ddfffe &&
    items.readUInt32LE(items.length - 4) === 0;
  if (!endsWithDelimiter) sink.header(SEQUENCE_DELIMITER, undefined, 0, opts.syntax);
}

function writeSequence(
  sink: ByteSink,
  tag: number,
  attr: DicomJsonAttribute,
  opts: DatasetWriteOptions,
  path: string,
  charset: string[] | undefined,
): void {
  const items = (attr.Value ?? []) as DicomJson[];
  if (!opts.definedLengthSequences) {
    sink.header(tag, 'SQ', UNDEFINED_LENGTH, opts.syntax);
    items.forEach((item, i) => {
      sink.header(ITEM, undefined, UNDEFINED_LENGTH, opts.syntax);
      writeDataset(sink, item, opts, `${path}/${i}/`, charset);
      sink.header(ITEM_DELIMITER, undefined, 0, opts.syntax);
    });
    sink.header(SEQUENCE_DELIMITER, undefined, 0, opts.syntax);
    return;
  }
  const encoded = items.map((item, i) => {
    const itemSink = new ByteSink(opts.syntax.littleEndian);
    writeDataset(itemSink, item, opts, `${path}/${i}/`, charset);
    return itemSink.toBuffer();
  });
  const total = encoded.reduce((n, b) => n + 8 + b.length, 0);
  sink.header(tag, 'SQ', total, opts.syntax);
  for (const b of encoded) {
    sink.header(ITEM, undefined, b.length, opts.syntax);
    sink.bytes(b);
  }
}
