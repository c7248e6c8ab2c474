/**
 * Text decoding by SpecificCharacterSet, including ISO 2022 code extensions
 * (PS3.5 6.1.2.5): escape sequences switch G0/G1, and the state returns to the initial
 * designation at value delimiters ('\\'; '^' and '=' in PN) and at CR, LF, FF, TAB.
 * Two-byte Japanese sets are decoded through EUC-JP (set the high bit; JIS X 0212 with
 * the 0x8F prefix), KS X 1001 through EUC-KR and GB 2312 through GBK.
 */
import { TextDecoder } from 'node:util';
import { ASCII, WHOLE_VALUE_DECODERS, elementsOfIr, readEscape, type CodeElement } from './charset-terms.js';
import { CHARSET_VRS, TEXT_VRS } from './vr.js';
import { own } from '../core/own.js';

type Decode = (bytes: Buffer) => string;

const latin1: Decode = (b) => b.toString('latin1');

const textDecoders = new Map<string, TextDecoder>();
function textDecoder(label: string): Decode {
  let d = textDecoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    textDecoders.set(label, d);
  }
  const decoder = d;
  return (b) => decoder.decode(b);
}

/** Map every byte through a 256-entry table (for sets WHATWG only offers as Windows supersets). */
function tableDecoder(table: Uint16Array): Decode {
  return (b) => {
    const out = new Uint16Array(b.length);
    for (let i = 0; i < b.length; i++) out[i] = table[b[i]!]!;
    return Buffer.from(out.buffer, 0, out.byteLength).toString('utf16le');
  };
}

/**
 * WHATWG maps "iso-8859-9" to windows-1254 and has no TIS-620, only windows-874; both
 * differ from the ISO sets only in 0x80–0x9F, which the ISO sets leave as C1 controls.
 */
function isoFromWindows(windowsLabel: string, undefinedFrom?: number): Decode {
  const bytes = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) bytes[i] = i;
  const chars = new TextDecoder(windowsLabel).decode(bytes);
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) table[i] = i < 0xa0 ? i : chars.charCodeAt(i);
  if (undefinedFrom !== undefined) table[0xa0] = 0xfffd;
  return tableDecoder(table);
}

const singleByteCache = new Map<string, Decode>();
function singleByte(label: string): Decode {
  let d = singleByteCache.get(label);
  if (!d) {
    if (label === 'latin1')
      d = latin1; // true ISO-8859-1, not windows-1252
    else if (label === 'iso-8859-9') d = isoFromWindows('windows-1254');
    else if (label === 'tis-620') d = isoFromWindows('windows-874', 0xa0);
    else d = textDecoder(label);
    singleByteCache.set(label, d);
  }
  return d;
}

/** JIS X 0201: 0xA1–0xDF are half-width katakana U+FF61…U+FF9F; the rest read as ASCII. */
const katakana: Decode = (b) => {
  const out = new Uint16Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    out[i] = c >= 0xa1 && c <= 0xdf ? 0xff61 + c - 0xa1 : c;
  }
  return Buffer.from(out.buffer, 0, out.byteLength).toString('utf16le');
};

function g1Decoder(g1: CodeElement | undefined): Decode {
  if (!g1) return latin1;
  switch (g1.kind) {
    case 'single':
      return singleByte(g1.label!);
    case 'katakana':
      return katakana;
    case 'ksx1001':
      return textDecoder('euc-kr');
    case 'gb2312':
      return textDecoder('gbk');
    default:
      return latin1;
  }
}

const isTwoByteG0 = (g0: CodeElement): boolean => g0.kind === 'jis0208' || g0.kind === 'jis0212';

/** Decode bytes that were all coded under one G0/G1 designation. */
function decodeSegment(seg: Buffer, g0: CodeElement, g1: CodeElement | undefined): string {
  if (!isTwoByteG0(g0)) return g1Decoder(g1)(seg);
  // Two-byte G0: GL byte pairs become EUC-JP; controls and space pass through; GR runs use G1.
  const parts: string[] = [];
  const euc: number[] = [];
  const flushEuc = (): void => {
    if (euc.length) parts.push(textDecoder('euc-jp')(Buffer.from(euc)));
    euc.length = 0;
  };
  for (let i = 0; i < seg.length; ) {
    const b = seg[i]!;
    if (b >= 0x21 && b <= 0x7e && i + 1 < seg.length) {
      if (g0.kind === 'jis0212') euc.push(0x8f);
      euc.push(b | 0x80, seg[i + 1]! | 0x80);
      i += 2;
    } else if (b >= 0x80) {
      flushEuc();
      let j = i;
      while (j < seg.length && seg[j]! >= 0x80) j++;
      parts.push(g1Decoder(g1)(seg.subarray(i, j)));
      i = j;
    } else {
      euc.push(b);
      i++;
    }
  }
  flushEuc();
  return parts.join('');
}

interface Plan {
  whole?: Decode;
  g0: CodeElement;
  g1?: CodeElement;
}

const plans = new Map<string, Plan>();

function planOf(terms: string[]): Plan {
  const key = terms.join('\\');
  let plan = plans.get(key);
  if (!plan) {
    plan = makePlan(terms.map((t) => t.trim().toUpperCase()));
    plans.set(key, plan);
  }
  return plan;
}

function irOf(term: string): string | undefined {
  return /^ISO(?:_| 2022 )IR (\d+)$/.exec(term)?.[1];
}

function makePlan(terms: string[]): Plan {
  const first = terms[0] ?? '';
  const codeExtensions = terms.length > 1 || first.startsWith('ISO 2022');
  if (!codeExtensions) {
    const label = own(WHOLE_VALUE_DECODERS, first);
    if (label) return { whole: textDecoder(label), g0: ASCII };
    const ir = irOf(first);
    const elements = ir ? elementsOfIr(ir) : undefined;
    if (elements?.g1?.kind === 'single') return { whole: singleByte(elements.g1.label!), g0: ASCII };
    if (elements?.g1?.kind === 'katakana') return { whole: katakana, g0: ASCII };
    // Default repertoire and unknown terms: latin1 keeps every byte visible and never throws.
    return { whole: latin1, g0: ASCII };
  }
  const ir = first === '' ? '6' : irOf(first);
  const initial = (ir && elementsOfIr(ir)) || { g0: ASCII };
  // A two-byte set cannot be the initial G0: delimiters must be recognisable.
  return { g0: isTwoByteG0(initial.g0) ? ASCII : initial.g0, g1: initial.g1 };
}

const TEXT_RESETS = [0x0d, 0x0a, 0x0c, 0x09];

/** Bytes (below 0x80) at which the ISO 2022 state returns to the initial designation. */
function resetBytes(vr: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const b of TEXT_RESETS) table[b] = 1;
  if (!TEXT_VRS.has(vr)) table[0x5c] = 2;
  if (vr === 'PN') table[0x5e] = table[0x3d] = 2;
  return table;
}
const resetTables = new Map<string, Uint8Array>();

function decodeIso2022(bytes: Buffer, plan: Plan, vr: string): string {
  if (bytes.indexOf(0x1b) < 0) return decodeSegment(bytes, plan.g0, plan.g1);
  let table = resetTables.get(vr);
  if (!table) resetTables.set(vr, (table = resetBytes(vr)));
  const parts: string[] = [];
  let g0 = plan.g0;
  let g1 = plan.g1;
  let start = 0;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b === 0x1b) {
      if (i > start) parts.push(decodeSegment(bytes.subarray(start, i), g0, g1));
      const designation = readEscape(bytes, i);
      if (designation) {
        g0 = designation.g0 ?? g0;
        g1 = designation.g1 ?? g1;
        i += designation.length;
      } else {
        i += 1; // unknown escape: drop ESC, keep going
      }
      start = i;
      continue;
    }
    const reset = b < 0x80 ? table[b]! : 0;
    // Printable delimiters only count while G0 is single-byte; in a two-byte set they are code bytes.
    if (reset === 1 || (reset === 2 && !isTwoByteG0(g0))) {
      if (g0 !== plan.g0 || g1 !== plan.g1) {
        parts.push(decodeSegment(bytes.subarray(start, i + 1), g0, g1));
        start = i + 1;
        g0 = plan.g0;
        g1 = plan.g1;
      }
    }
    i++;
  }
  if (start < bytes.length) parts.push(decodeSegment(bytes.subarray(start), g0, g1));
  return parts.join('');
}

/** Decode the bytes of a value of `vr` under the dataset's SpecificCharacterSet values. */
export function decodeText(bytes: Buffer, specificCharacterSet: string[], vr: string): string {
  if (!CHARSET_VRS.has(vr)) return bytes.toString('latin1');
  const plan = planOf(specificCharacterSet);
  return plan.whole ? plan.whole(bytes) : decodeIso2022(bytes, plan, vr);
}

/** Encoding our writer uses: UTF-8 when SpecificCharacterSet says ISO_IR 192, otherwise latin1. */
export function writerEncoding(specificCharacterSet: string[] | undefined): BufferEncoding {
  return specificCharacterSet?.some((t) => t.trim().toUpperCase() === 'ISO_IR 192') ? 'utf8' : 'latin1';
}
