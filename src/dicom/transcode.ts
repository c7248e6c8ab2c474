/**
 * Re-encode a native-pixel instance as Explicit VR Little Endian, streaming: headers are
 * rewritten as we walk, big values are copied through in ≤ 1 MB chunks (byte-swapped
 * when the source is big endian), so memory stays flat whatever the file size.
 */
import { ByteSink } from './byte-sink.js';
import { implicitVrOf } from './dataset-parser.js';
import { isPrivateTag, vrOfTag } from './dictionary.js';
import {
  EXPLICIT_LE,
  IMPLICIT_LE,
  ITEM,
  ITEM_DELIMITER,
  SEQUENCE_DELIMITER,
  UNDEFINED_LENGTH,
  checkValueFits,
  readHeader,
  tagLabel,
  type ElementHeader,
  type StreamSyntax,
} from './element-header.js';
import { openAnyDataset } from './parse-instance.js';
import { encodeFileMeta, preamble } from './part10-writer.js';
import { TransferSyntax, isEncapsulatedTransferSyntax } from './transfer-syntax.js';
import { DicomParseError, TranscodeError, type ByteSource } from './types.js';
import { BINARY_VRS, LONG_LENGTH_VRS, NUMERIC_WIDTH, swapInPlace } from './vr.js';
import { own } from '../core/own.js';

const CHUNK = 1024 * 1024;
const YIELD_AT = 256 * 1024;
const OUT = EXPLICIT_LE;

interface Walk {
  data: ByteSource;
  sink: ByteSink;
  pixelRepresentation: number;
}

export function* transcodeToExplicitLittle(source: ByteSource): Generator<Buffer> {
  const { data, parsed, syntax } = openAnyDataset(source, { bulkDataThreshold: 0 });
  if (isEncapsulatedTransferSyntax(parsed.transferSyntaxUid)) {
    throw new TranscodeError(
      `transfer syntax ${parsed.transferSyntaxUid} has encapsulated pixel data; decompression is not supported`,
    );
  }
  yield preamble();
  yield encodeFileMeta({
    // The data set is what the instance is; a File Meta that disagrees with it is not repeated.
    sopClassUid: parsed.sopClassUid,
    sopInstanceUid: parsed.sopInstanceUid,
    transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
    extra: parsed.fileMeta,
  });
  const w: Walk = { data, sink: new ByteSink(true), pixelRepresentation: 0 };
  yield* walkElements(w, syntax, parsed.datasetOffset, data.size, false);
  const rest = w.sink.take();
  if (rest.length) yield* rest;
}

function* flush(w: Walk): Generator<Buffer> {
  if (w.sink.pendingBytes() >= YIELD_AT) yield* w.sink.take();
}

/** Copy elements from start to end (or to the item delimiter); returns the offset after them. */
function* walkElements(
  w: Walk,
  syn: StreamSyntax,
  start: number,
  end: number,
  delimited: boolean,
): Generator<Buffer, number> {
  let off = start;
  while (off < end) {
    const h = readHeader(w.data, off, end, syn);
    if (h.tag === ITEM_DELIMITER || h.tag === SEQUENCE_DELIMITER) {
      if (delimited && h.tag === ITEM_DELIMITER) return h.valueOffset;
      if (delimited) throw new DicomParseError(`unexpected ${tagLabel(h.tag)} at offset ${off} inside an item`, off);
      off = h.valueOffset;
      continue;
    }
    if (h.tag === ITEM) throw new DicomParseError(`unexpected item at offset ${off} inside a dataset`, off);
    off = yield* copyElement(w, syn, h, end);
    yield* flush(w);
  }
  if (delimited)
    throw new DicomParseError(`item starting at offset ${start} has no item delimiter before offset ${end}`, end);
  return off;
}

function* copyElement(w: Walk, syn: StreamSyntax, h: ElementHeader, end: number): Generator<Buffer, number> {
  let vr = h.vr ?? implicitVrOf(h.tag, h.length, w.pixelRepresentation);
  const dropped = (h.tag & 0xffff) === 0 || h.tag === 0xfffcfffc || h.tag >>> 16 === 0x0002;
  if (h.length === UNDEFINED_LENGTH) {
    if (vr !== 'SQ' && vr !== 'UN') {
      throw new DicomParseError(
        `element ${tagLabel(h.tag)} ${vr} at offset ${h.offset} has undefined length`,
        h.offset,
      );
    }
    return yield* copySequence(w, vr === 'UN' ? IMPLICIT_LE : syn, h, end);
  }
  checkValueFits(h, vr, end);
  const next = h.valueOffset + h.length;
  if (dropped) return next;
  let valueSyntax = syn;
  // Same reinterpretation of standard attributes carried as UN as the parser does.
  if (vr === 'UN' && syn.littleEndian && !isPrivateTag(h.tag)) {
    const known = vrOfTag(h.tag);
    if (known === 'SQ') return yield* copySequence(w, IMPLICIT_LE, h, end);
    if (known && !BINARY_VRS.has(known)) {
      vr = known;
      valueSyntax = IMPLICIT_LE;
    }
  }
  if (vr === 'SQ') return yield* copySequence(w, syn, h, end);
  if (!LONG_LENGTH_VRS.has(vr) && h.length > 0xffff) vr = 'UN';
  w.sink.header(h.tag, vr, h.length, OUT);
  const width = valueSyntax.littleEndian ? 0 : (own(NUMERIC_WIDTH, vr) ?? 0);
  for (let pos = 0; pos < h.length; pos += CHUNK) {
    const n = Math.min(CHUNK, h.length - pos);
    const raw = w.data.read(h.valueOffset + pos, n);
    w.sink.bytes(width ? swapInPlace(Buffer.from(raw), width) : raw);
    if (h.length > CHUNK) yield* w.sink.take();
  }
  if (h.tag === 0x00280103 && h.length >= 2) {
    const b = w.data.read(h.valueOffset, 2);
    w.pixelRepresentation = valueSyntax.littleEndian ? b.readUInt16LE(0) : b.readUInt16BE(0);
  }
  return next;
}

function* copySequence(w: Walk, syn: StreamSyntax, h: ElementHeader, end: number): Generator<Buffer, number> {
  const undefinedLength = h.length === UNDEFINED_LENGTH;
  const seqEnd = undefinedLength ? end : h.valueOffset + h.length;
  w.sink.header(h.tag, 'SQ', UNDEFINED_LENGTH, OUT);
  let off = h.valueOffset;
  for (;;) {
    if (off >= seqEnd) {
      if (undefinedLength)
        throw new DicomParseError(`sequence ${tagLabel(h.tag)} at offset ${h.offset} has no sequence delimiter`, end);
      break;
    }
    const ih = readHeader(w.data, off, seqEnd, syn);
    if (ih.tag === SEQUENCE_DELIMITER) {
      off = ih.valueOffset;
      if (undefinedLength) break;
      continue;
    }
    if (ih.tag !== ITEM)
      throw new DicomParseError(`sequence ${tagLabel(h.tag)} holds ${tagLabel(ih.tag)} at offset ${off}`, off);
    w.sink.header(ITEM, undefined, UNDEFINED_LENGTH, OUT);
    if (ih.length === UNDEFINED_LENGTH) {
      off = yield* walkElements(w, syn, ih.valueOffset, seqEnd, true);
    } else {
      checkValueFits(ih, 'item', seqEnd);
      yield* walkElements(w, syn, ih.valueOffset, ih.valueOffset + ih.length, false);
      off = ih.valueOffset + ih.length;
    }
    w.sink.header(ITEM_DELIMITER, undefined, 0, OUT);
  }
  w.sink.header(SEQUENCE_DELIMITER, undefined, 0, OUT);
  return undefinedLength ? off : seqEnd;
}
