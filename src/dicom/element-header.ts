/**
 * Reading one element header (PS3.5 7.1) from a ByteSource, with the bounds checks that
 * turn truncated or hostile input into a DicomParseError naming the tag and the offset.
 */
import { tagToHex } from './dictionary.js';
import { DicomParseError, type ByteSource } from './types.js';
import { KNOWN_VRS, LONG_LENGTH_VRS } from './vr.js';

export const UNDEFINED_LENGTH = 0xffffffff;
export const ITEM = 0xfffee000;
export const ITEM_DELIMITER = 0xfffee00d;
export const SEQUENCE_DELIMITER = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;
export const FLOAT_PIXEL_DATA = 0x7fe00008;
export const DOUBLE_PIXEL_DATA = 0x7fe00009;

export interface StreamSyntax {
  explicit: boolean;
  littleEndian: boolean;
}

/** Undefined-length UN content and standard attributes carried as UN use this (PS3.5 6.2.2). */
export const IMPLICIT_LE: StreamSyntax = { explicit: false, littleEndian: true };
export const EXPLICIT_LE: StreamSyntax = { explicit: true, littleEndian: true };

export interface ElementHeader {
  tag: number;
  /** VR as written (explicit VR streams only). */
  vr?: string;
  length: number;
  offset: number;
  valueOffset: number;
}

/** "(0010,0010)" — how error messages name a tag. */
export function tagLabel(tag: number): string {
  const hex = tagToHex(tag);
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

export function readHeader(src: ByteSource, offset: number, end: number, syntax: StreamSyntax): ElementHeader {
  const remaining = end - offset;
  if (remaining < 8) {
    throw new DicomParseError(`element header at offset ${offset} needs 8 bytes but only ${remaining} remain`, offset);
  }
  const b = src.read(offset, remaining >= 12 ? 12 : 8);
  const le = syntax.littleEndian;
  const group = le ? b.readUInt16LE(0) : b.readUInt16BE(0);
  const element = le ? b.readUInt16LE(2) : b.readUInt16BE(2);
  const tag = ((group << 16) | element) >>> 0;
  // Items and delimiters never carry a VR, whatever the transfer syntax.
  if (group === 0xfffe || !syntax.explicit) {
    return { tag, length: le ? b.readUInt32LE(4) : b.readUInt32BE(4), offset, valueOffset: offset + 8 };
  }
  const vr = String.fromCharCode(b[4]!, b[5]!);
  if (!KNOWN_VRS.has(vr)) {
    throw new DicomParseError(
      `element ${tagLabel(tag)} at offset ${offset} has an invalid VR (bytes ${hex2(b[4]!)} ${hex2(b[5]!)})`,
      offset,
    );
  }
  if (!LONG_LENGTH_VRS.has(vr)) {
    return { tag, vr, length: le ? b.readUInt16LE(6) : b.readUInt16BE(6), offset, valueOffset: offset + 8 };
  }
  if (remaining < 12) {
    throw new DicomParseError(
      `header of ${tagLabel(tag)} ${vr} at offset ${offset} needs 12 bytes but only ${remaining} remain`,
      offset,
    );
  }
  return { tag, vr, length: le ? b.readUInt32LE(8) : b.readUInt32BE(8), offset, valueOffset: offset + 12 };
}

/** Throw unless the defined-length value of `h` fits before `end`. */
export function checkValueFits(h: ElementHeader, vr: string, end: number): void {
  const remaining = end - h.valueOffset;
  if (h.length > remaining) {
    throw new DicomParseError(
      `value of ${tagLabel(h.tag)} ${vr} at offset ${h.valueOffset} claims ${h.length} bytes but only ${remaining} remain`,
      h.valueOffset,
    );
  }
}

/** Does an explicit VR header start at `offset`? Used to sniff raw datasets and mislabelled files. */
export function looksExplicit(src: ByteSource, offset: number): boolean {
  if (src.size - offset < 8) return false;
  const b = src.read(offset + 4, 2);
  return KNOWN_VRS.has(String.fromCharCode(b[0]!, b[1]!));
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
