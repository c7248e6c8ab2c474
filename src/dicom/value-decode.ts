/**
 * Turn the bytes of one non-sequence, non-binary value into DICOM JSON `Value` entries
 * (PS3.18 F.2): strings split on backslash, PN as component-group objects, IS/DS and
 * binary numbers as numbers, AT as "GGGGEEEE".
 */
import { decodeText } from './charset-decode.js';
import { tagToHex } from './dictionary.js';
import { TEXT_VRS, TRIM_BOTH_VRS } from './vr.js';

const IS_PATTERN = /^[+-]?\d+$/;
const DS_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** PN component groups in the order they appear between '=' (PS3.18 F.2.2). */
export const PN_GROUPS = ['Alphabetic', 'Ideographic', 'Phonetic'] as const;

export type PersonName = Partial<Record<(typeof PN_GROUPS)[number], string>>;

/** Value array for `raw`, or undefined when the attribute is empty (JSON then carries only `vr`). */
export function decodeValue(raw: Buffer, vr: string, littleEndian: boolean, charset: string[]): unknown[] | undefined {
  if (raw.length === 0) return undefined;
  switch (vr) {
    case 'US':
      return readNumbers(raw, 2, (o) => (littleEndian ? raw.readUInt16LE(o) : raw.readUInt16BE(o)));
    case 'SS':
      return readNumbers(raw, 2, (o) => (littleEndian ? raw.readInt16LE(o) : raw.readInt16BE(o)));
    case 'UL':
      return readNumbers(raw, 4, (o) => (littleEndian ? raw.readUInt32LE(o) : raw.readUInt32BE(o)));
    case 'SL':
      return readNumbers(raw, 4, (o) => (littleEndian ? raw.readInt32LE(o) : raw.readInt32BE(o)));
    case 'FL':
      return readNumbers(raw, 4, (o) => (littleEndian ? raw.readFloatLE(o) : raw.readFloatBE(o)));
    case 'FD':
      return readNumbers(raw, 8, (o) => (littleEndian ? raw.readDoubleLE(o) : raw.readDoubleBE(o)));
    case 'SV':
      return readNumbers(raw, 8, (o) => bigToJson(littleEndian ? raw.readBigInt64LE(o) : raw.readBigInt64BE(o)));
    case 'UV':
      return readNumbers(raw, 8, (o) => bigToJson(littleEndian ? raw.readBigUInt64LE(o) : raw.readBigUInt64BE(o)));
    case 'AT':
      return readNumbers(raw, 4, (o) =>
        littleEndian
          ? tagToHex((raw.readUInt16LE(o) << 16) | raw.readUInt16LE(o + 2))
          : tagToHex((raw.readUInt16BE(o) << 16) | raw.readUInt16BE(o + 2)),
      );
    default:
      return decodeStrings(decodeText(raw, charset, vr), vr);
  }
}

/** Whole values only: a trailing partial value (malformed length) is ignored, as DCMTK does. */
function readNumbers(raw: Buffer, width: number, read: (offset: number) => unknown): unknown[] | undefined {
  const count = Math.floor(raw.length / width);
  if (count === 0) return undefined;
  const out = new Array<unknown>(count);
  for (let i = 0; i < count; i++) out[i] = read(i * width);
  return out;
}

function bigToJson(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** Trim spaces and NULs (padding) — a char loop is several times faster than a regex here. */
function trimPadding(s: string, leading: boolean): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0)) end--;
  let start = 0;
  if (leading) while (start < end && (s.charCodeAt(start) === 0x20 || s.charCodeAt(start) === 0)) start++;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

export function decodeStrings(text: string, vr: string): unknown[] | undefined {
  if (TEXT_VRS.has(vr)) {
    const value = trimPadding(text, false);
    return value === '' ? undefined : [value];
  }
  const trimBoth = TRIM_BOTH_VRS.has(vr);
  if (text.indexOf('\\') < 0) {
    const s = trimPadding(text, trimBoth);
    return s === '' ? undefined : [convert(s, vr)];
  }
  const values = text.split('\\').map((p) => {
    const s = trimPadding(p, trimBoth);
    return s === '' ? null : convert(s, vr);
  });
  if (values.length === 1 && values[0] === null) return undefined;
  return values;
}

function convert(s: string, vr: string): unknown {
  switch (vr) {
    case 'IS':
      return IS_PATTERN.test(s) ? Number(s) : s;
    case 'DS':
      return DS_PATTERN.test(s) ? Number(s) : s;
    case 'PN':
      return personName(s);
    default:
      return s;
  }
}

function personName(s: string): PersonName | null {
  const groups = s.split('=');
  const pn: PersonName = {};
  for (let i = 0; i < PN_GROUPS.length && i < groups.length; i++) {
    const g = trimPadding(groups[i]!, false);
    if (g !== '') pn[PN_GROUPS[i]!] = g;
  }
  return Object.keys(pn).length ? pn : null;
}
