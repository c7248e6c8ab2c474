/**
 * Encapsulated pixel data (PS3.5 A.4): a Basic Offset Table item, then one item per
 * fragment, then a sequence delimiter. We read only the 8-byte item headers and the
 * offset table, never the compressed frames themselves.
 */
import {
  ITEM,
  SEQUENCE_DELIMITER,
  UNDEFINED_LENGTH,
  checkValueFits,
  readHeader,
  tagLabel,
  type ElementHeader,
  type StreamSyntax,
} from './element-header.js';
import { DicomParseError, type ByteSource, type ValueLocation } from './types.js';

export interface EncapsulatedScan {
  basicOffsetTable: number[];
  /** Offset of the first fragment's item tag: BOT and EOT offsets count from here. */
  firstFragmentItem: number;
  fragments: ValueLocation[];
  /** Offset of the sequence delimiter item. */
  itemsEnd: number;
  /** Offset just past the sequence delimiter. */
  next: number;
}

export function scanEncapsulated(src: ByteSource, h: ElementHeader, end: number, syn: StreamSyntax): EncapsulatedScan {
  const fragments: ValueLocation[] = [];
  let basicOffsetTable: number[] | undefined;
  let firstFragmentItem = -1;
  let off = h.valueOffset;
  for (;;) {
    if (off >= end) {
      throw new DicomParseError(
        `encapsulated pixel data ${tagLabel(h.tag)} at offset ${h.offset} has no sequence delimiter before offset ${end}`,
        end,
      );
    }
    const ih = readHeader(src, off, end, syn);
    if (ih.tag === SEQUENCE_DELIMITER) {
      return {
        basicOffsetTable: basicOffsetTable ?? [],
        firstFragmentItem: firstFragmentItem < 0 ? off : firstFragmentItem,
        fragments,
        itemsEnd: off,
        next: ih.valueOffset,
      };
    }
    if (ih.tag !== ITEM || ih.length === UNDEFINED_LENGTH) {
      throw new DicomParseError(
        `encapsulated pixel data holds ${tagLabel(ih.tag)} with length ${ih.length} at offset ${off} where a fragment item was expected`,
        off,
      );
    }
    checkValueFits(ih, 'item', end);
    if (!basicOffsetTable) {
      basicOffsetTable = readOffsets(src, ih.valueOffset, ih.length, syn.littleEndian);
    } else {
      if (firstFragmentItem < 0) firstFragmentItem = off;
      fragments.push({ offset: ih.valueOffset, length: ih.length });
    }
    off = ih.valueOffset + ih.length;
  }
}

function readOffsets(src: ByteSource, offset: number, length: number, littleEndian: boolean): number[] {
  const count = Math.floor(length / 4);
  if (count === 0) return [];
  const b = src.read(offset, count * 4);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = littleEndian ? b.readUInt32LE(i * 4) : b.readUInt32BE(i * 4);
  return out;
}
