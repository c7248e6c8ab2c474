/**
 * Walk a dataset byte range and build its DICOM JSON without touching bulk bytes: large
 * binary values and pixel data are recorded by offset (see BulkEntry) and skipped, so a
 * header parse of a 500 MB multi-frame object reads only a few kilobytes.
 */
import { bulkUri } from './bulk-path.js';
import { tagToHex, vrOfTag, isPrivateTag, isUsOrSsTag } from './dictionary.js';
import {
  DOUBLE_PIXEL_DATA,
  FLOAT_PIXEL_DATA,
  IMPLICIT_LE,
  ITEM,
  ITEM_DELIMITER,
  PIXEL_DATA,
  SEQUENCE_DELIMITER,
  UNDEFINED_LENGTH,
  checkValueFits,
  readHeader,
  tagLabel,
  type ElementHeader,
  type StreamSyntax,
} from './element-header.js';
import { scanEncapsulated } from './encapsulated.js';
import {
  DicomParseError,
  type ByteSource,
  type DicomJson,
  type DicomJsonAttribute,
  type PixelDataInfo,
  type ValueLocation,
} from './types.js';
import { decodeValue } from './value-decode.js';
import { BINARY_VRS, NUMERIC_WIDTH, swapInPlace } from './vr.js';
import { own } from '../core/own.js';

/** Where a value that JSON only references (BulkDataURI) lives in the dataset stream. */
export interface BulkEntry {
  location: ValueLocation;
  vr: string;
  byteOrder: 'LE' | 'BE';
  pixelData?: PixelDataInfo;
}

export interface DatasetParse {
  json: DicomJson;
  /** Keyed by bulk path, e.g. "7FE00010" or "00540016/0/00181072". */
  bulk: Map<string, BulkEntry>;
  pixelData?: PixelDataInfo;
}

export interface ParseOptions {
  bulkDataThreshold: number;
  /** Keep group 0002 (true only when parsing the File Meta itself). */
  keepFileMetaGroup?: boolean;
}

const MAX_DEPTH = 64;

interface Ctx {
  src: ByteSource;
  opts: ParseOptions;
  bulk: Map<string, BulkEntry>;
  pixelData?: PixelDataInfo;
  pixelRepresentation: number;
  depth: number;
}

export function parseDataset(
  src: ByteSource,
  start: number,
  end: number,
  syntax: StreamSyntax,
  opts: ParseOptions,
): DatasetParse {
  const ctx: Ctx = { src, opts, bulk: new Map(), pixelRepresentation: 0, depth: 0 };
  const { json } = parseElements(ctx, syntax, start, end, false, '', []);
  return { json, bulk: ctx.bulk, pixelData: ctx.pixelData };
}

function isPixelTag(tag: number): boolean {
  return tag === PIXEL_DATA || tag === FLOAT_PIXEL_DATA || tag === DOUBLE_PIXEL_DATA;
}

/** The VR an implicit VR element has: dictionary VR, SQ for unknown undefined-length, else UN. */
export function implicitVrOf(tag: number, length: number, pixelRepresentation: number): string {
  if (tag === PIXEL_DATA) return length === UNDEFINED_LENGTH ? 'OB' : 'OW';
  const vr = vrOfTag(tag);
  if (!vr) return length === UNDEFINED_LENGTH ? 'SQ' : 'UN';
  if (vr === 'US' && pixelRepresentation === 1 && isUsOrSsTag(tag)) return 'SS';
  return vr;
}

/** Parse elements from `start` until `end`, or until an item delimiter when `delimited`. */
function parseElements(
  ctx: Ctx,
  syn: StreamSyntax,
  start: number,
  end: number,
  delimited: boolean,
  path: string,
  inherited: string[],
): { json: DicomJson; next: number } {
  const json: DicomJson = {};
  let charset = inherited;
  let off = start;
  while (off < end) {
    const h = readHeader(ctx.src, off, end, syn);
    if (h.tag === ITEM_DELIMITER) {
      if (delimited) return { json, next: h.valueOffset };
      off = h.valueOffset; // stray delimiter outside an item: harmless, skip it
      continue;
    }
    if (h.tag === SEQUENCE_DELIMITER && !delimited) {
      off = h.valueOffset;
      continue;
    }
    if (h.tag === ITEM || h.tag === SEQUENCE_DELIMITER) {
      throw new DicomParseError(`unexpected ${tagLabel(h.tag)} at offset ${off} inside a dataset`, off);
    }
    const { attr, next } = parseElement(ctx, syn, h, end, path, charset);
    const group = h.tag >>> 16;
    // Group lengths and padding carry no information once parsed; group 0002 belongs to the File Meta.
    const dropped = (h.tag & 0xffff) === 0 || h.tag === 0xfffcfffc || (group === 0x0002 && !ctx.opts.keepFileMetaGroup);
    if (!dropped) json[tagToHex(h.tag)] = attr;
    if (h.tag === 0x00080005) charset = (attr.Value ?? []).map((v) => (typeof v === 'string' ? v : ''));
    if (h.tag === 0x00280103 && typeof attr.Value?.[0] === 'number') ctx.pixelRepresentation = attr.Value[0];
    off = next;
  }
  if (delimited) {
    throw new DicomParseError(`item starting at offset ${start} has no item delimiter before offset ${end}`, end);
  }
  return { json, next: off };
}

function parseElement(
  ctx: Ctx,
  syn: StreamSyntax,
  h: ElementHeader,
  end: number,
  path: string,
  charset: string[],
): { attr: DicomJsonAttribute; next: number } {
  const vr = h.vr ?? implicitVrOf(h.tag, h.length, ctx.pixelRepresentation);
  const key = path + tagToHex(h.tag);

  if (isPixelTag(h.tag)) return pixelElement(ctx, syn, h, vr, end, key);

  if (h.length === UNDEFINED_LENGTH) {
    // PS3.5 6.2.2: an undefined-length UN is a sequence encoded in implicit VR little endian.
    if (vr === 'SQ' || vr === 'UN') {
      const itemSyntax = vr === 'UN' ? IMPLICIT_LE : syn;
      return sequence(ctx, itemSyntax, h, end, key, charset);
    }
    throw new DicomParseError(`element ${tagLabel(h.tag)} ${vr} at offset ${h.offset} has undefined length`, h.offset);
  }
  checkValueFits(h, vr, end);
  const next = h.valueOffset + h.length;
  if (vr === 'SQ') return sequence(ctx, syn, h, end, key, charset);

  // A standard attribute that reached us as UN (e.g. relayed through implicit VR) is read as
  // its dictionary VR; its bytes are implicit VR little endian by construction.
  if (vr === 'UN' && syn.littleEndian && !isPrivateTag(h.tag)) {
    const known = vrOfTag(h.tag);
    if (known === 'SQ') return sequence(ctx, IMPLICIT_LE, h, end, key, charset);
    if (known && !BINARY_VRS.has(known)) return { attr: valueAttr(ctx, h, known, true, charset), next };
  }

  if (BINARY_VRS.has(vr)) {
    if (h.length > ctx.opts.bulkDataThreshold) {
      ctx.bulk.set(key, {
        location: { offset: h.valueOffset, length: h.length },
        vr,
        byteOrder: syn.littleEndian ? 'LE' : 'BE',
      });
      return { attr: { vr, BulkDataURI: bulkUri(key) }, next };
    }
    if (h.length === 0) return { attr: { vr }, next };
    let raw = ctx.src.read(h.valueOffset, h.length);
    const width = own(NUMERIC_WIDTH, vr);
    // DICOM JSON is byte-order free: binary words are given little endian.
    if (!syn.littleEndian && width) raw = swapInPlace(Buffer.from(raw), width);
    return { attr: { vr, InlineBinary: raw.toString('base64') }, next };
  }
  return { attr: valueAttr(ctx, h, vr, syn.littleEndian, charset), next };
}

function valueAttr(
  ctx: Ctx,
  h: ElementHeader,
  vr: string,
  littleEndian: boolean,
  charset: string[],
): DicomJsonAttribute {
  const value =
    h.length === 0 ? undefined : decodeValue(ctx.src.read(h.valueOffset, h.length), vr, littleEndian, charset);
  return value ? { vr, Value: value } : { vr };
}

function sequence(
  ctx: Ctx,
  syn: StreamSyntax,
  h: ElementHeader,
  end: number,
  key: string,
  charset: string[],
): { attr: DicomJsonAttribute; next: number } {
  if (++ctx.depth > MAX_DEPTH) {
    throw new DicomParseError(`sequences nested deeper than ${MAX_DEPTH} levels at offset ${h.offset}`, h.offset);
  }
  const undefinedLength = h.length === UNDEFINED_LENGTH;
  const seqEnd = undefinedLength ? end : h.valueOffset + h.length;
  const items: DicomJson[] = [];
  let off = h.valueOffset;
  for (;;) {
    if (off >= seqEnd) {
      if (undefinedLength) {
        throw new DicomParseError(
          `sequence ${tagLabel(h.tag)} at offset ${h.offset} has no sequence delimiter before offset ${end}`,
          end,
        );
      }
      break;
    }
    const ih = readHeader(ctx.src, off, seqEnd, syn);
    if (ih.tag === SEQUENCE_DELIMITER) {
      off = ih.valueOffset;
      if (undefinedLength) break;
      continue;
    }
    if (ih.tag !== ITEM) {
      throw new DicomParseError(
        `sequence ${tagLabel(h.tag)} holds ${tagLabel(ih.tag)} at offset ${off} where an item was expected`,
        off,
      );
    }
    const itemPath = `${key}/${items.length}/`;
    if (ih.length === UNDEFINED_LENGTH) {
      const r = parseElements(ctx, syn, ih.valueOffset, seqEnd, true, itemPath, charset);
      items.push(r.json);
      off = r.next;
    } else {
      checkValueFits(ih, 'item', seqEnd);
      items.push(parseElements(ctx, syn, ih.valueOffset, ih.valueOffset + ih.length, false, itemPath, charset).json);
      off = ih.valueOffset + ih.length;
    }
  }
  ctx.depth--;
  const attr: DicomJsonAttribute = items.length ? { vr: 'SQ', Value: items } : { vr: 'SQ' };
  return { attr, next: undefinedLength ? off : seqEnd };
}

function pixelElement(
  ctx: Ctx,
  syn: StreamSyntax,
  h: ElementHeader,
  vr: string,
  end: number,
  key: string,
): { attr: DicomJsonAttribute; next: number } {
  const byteOrder = syn.littleEndian ? 'LE' : 'BE';
  let info: PixelDataInfo;
  let next: number;
  if (h.length === UNDEFINED_LENGTH) {
    const scan = scanEncapsulated(ctx.src, h, end, syn);
    info = {
      location: { offset: h.valueOffset, length: scan.itemsEnd - h.valueOffset },
      encapsulated: true,
      fragments: scan.fragments,
      basicOffsetTable: scan.basicOffsetTable,
      byteOrder,
    };
    next = scan.next;
  } else {
    checkValueFits(h, vr, end);
    info = { location: { offset: h.valueOffset, length: h.length }, encapsulated: false, byteOrder };
    next = h.valueOffset + h.length;
  }
  ctx.bulk.set(key, { location: info.location, vr, byteOrder, pixelData: info });
  if (key.indexOf('/') < 0 && (!ctx.pixelData || h.tag === PIXEL_DATA)) ctx.pixelData = info;
  return { attr: { vr, BulkDataURI: bulkUri(key) }, next };
}
