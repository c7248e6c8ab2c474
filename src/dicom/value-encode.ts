/**
 * DICOM JSON value → value bytes for one non-sequence attribute (the inverse of
 * value-decode.ts), padded to even length: UI with NUL, other strings with space,
 * binary with NUL.
 */
import { CHARSET_VRS, NUMERIC_WIDTH, STRING_VRS, swapInPlace } from './vr.js';
import type { DicomJsonAttribute } from './types.js';
import { PN_GROUPS } from './value-decode.js';
import { own } from '../core/own.js';

export class DicomEncodeError extends Error {
  override name = 'DicomEncodeError';
}

/** Value bytes in the target byte order. `binary` resolves InlineBinary/BulkDataURI to little-endian bytes. */
export function encodeValue(
  attr: DicomJsonAttribute,
  vr: string,
  littleEndian: boolean,
  text: BufferEncoding,
  binary: () => Buffer | undefined,
): Buffer {
  if (attr.InlineBinary !== undefined || attr.BulkDataURI !== undefined) {
    const raw = binary() ?? Buffer.alloc(0);
    const width = own(NUMERIC_WIDTH, vr);
    const bytes = !littleEndian && width ? swapInPlace(Buffer.from(raw), width) : raw;
    return padEven(bytes, 0);
  }
  const values = attr.Value ?? [];
  if (values.length === 0) return Buffer.alloc(0);
  const width = own(NUMERIC_WIDTH, vr);
  if (width && vr !== 'AT' && !STRING_VRS.has(vr)) return encodeNumbers(values, vr, width, littleEndian);
  if (vr === 'AT') return encodeTags(values, littleEndian);
  const str = values.map((v) => stringOf(v, vr)).join('\\');
  const bytes = Buffer.from(str, CHARSET_VRS.has(vr) ? text : 'latin1');
  return padEven(bytes, vr === 'UI' ? 0 : 0x20);
}

function padEven(bytes: Buffer, pad: number): Buffer {
  if (bytes.length % 2 === 0) return bytes;
  const out = Buffer.allocUnsafe(bytes.length + 1);
  bytes.copy(out);
  out[bytes.length] = pad;
  return out;
}

function stringOf(v: unknown, vr: string): string {
  if (v === null || v === undefined) return '';
  if (vr === 'PN' && typeof v === 'object') {
    const pn = v as Record<string, unknown>;
    const groups = PN_GROUPS.map((g) => (typeof pn[g] === 'string' ? (pn[g] as string) : ''));
    while (groups.length && groups[groups.length - 1] === '') groups.pop();
    return groups.join('=');
  }
  if (typeof v === 'number') return vr === 'DS' ? formatDS(v) : String(v);
  return String(v);
}

/** DS is at most 16 characters (PS3.5 6.2); shorten the precision until it fits. */
export function formatDS(n: number): string {
  const s = String(n);
  if (s.length <= 16) return s;
  for (let p = 15; p > 0; p--) {
    const t = n.toPrecision(p).replace(/\.?0+(e|$)/, '$1');
    if (t.length <= 16) return t;
  }
  return n.toExponential(0);
}

function encodeNumbers(values: unknown[], vr: string, width: number, le: boolean): Buffer {
  const out = Buffer.alloc(values.length * width);
  values.forEach((raw, i) => {
    const o = i * width;
    if (vr === 'SV' || vr === 'UV') {
      const big = BigInt(raw as number | string);
      if (vr === 'SV') le ? out.writeBigInt64LE(big, o) : out.writeBigInt64BE(big, o);
      else le ? out.writeBigUInt64LE(big, o) : out.writeBigUInt64BE(big, o);
      return;
    }
    const v = Number(raw);
    if (!Number.isFinite(v) && vr !== 'FL' && vr !== 'FD')
      throw new DicomEncodeError(`${vr} value ${String(raw)} is not a number`);
    switch (vr) {
      case 'US':
        le ? out.writeUInt16LE(v, o) : out.writeUInt16BE(v, o);
        break;
      case 'SS':
        le ? out.writeInt16LE(v, o) : out.writeInt16BE(v, o);
        break;
      case 'UL':
        le ? out.writeUInt32LE(v, o) : out.writeUInt32BE(v, o);
        break;
      case 'SL':
        le ? out.writeInt32LE(v, o) : out.writeInt32BE(v, o);
        break;
      case 'FL':
        le ? out.writeFloatLE(v, o) : out.writeFloatBE(v, o);
        break;
      case 'FD':
        le ? out.writeDoubleLE(v, o) : out.writeDoubleBE(v, o);
        break;
      default:
        throw new DicomEncodeError(`${vr} cannot carry Value numbers`);
    }
  });
  return out;
}

function encodeTags(values: unknown[], le: boolean): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => {
    const tag = parseInt(String(v), 16);
    if (!/^[0-9A-Fa-f]{8}$/.test(String(v))) throw new DicomEncodeError(`AT value ${String(v)} is not 8 hex digits`);
    const group = tag >>> 16;
    const element = tag & 0xffff;
    if (le) {
      out.writeUInt16LE(group, i * 4);
      out.writeUInt16LE(element, i * 4 + 2);
    } else {
      out.writeUInt16BE(group, i * 4);
      out.writeUInt16BE(element, i * 4 + 2);
    }
  });
  return out;
}
