/**
 * SpecificCharacterSet defined terms (PS3.3 C.12.1.1.2) and the ISO 2022 code elements
 * they designate. Kept apart from the decoder so the tables read like the standard.
 */
import { own } from '../core/own.js';

/** How the bytes of one code element become text. */
export type ElementKind =
  | 'ascii' // ISO-IR 6 in G0
  | 'romaji' // JIS X 0201 Romaji in G0; read as ASCII so 05/12 stays the DICOM delimiter
  | 'katakana' // JIS X 0201 Katakana in G1
  | 'single' // an ISO 8859 upper half in G1 (label says which)
  | 'jis0208' // JIS X 0208 in G0, two bytes
  | 'jis0212' // JIS X 0212 in G0, two bytes
  | 'ksx1001' // KS X 1001 in G1, two bytes (EUC-KR)
  | 'gb2312'; // GB 2312 in G1, two bytes (EUC-CN)

export interface CodeElement {
  kind: ElementKind;
  /** Single-byte decoder name for kind 'single'. */
  label?: string;
}

export const ASCII: CodeElement = { kind: 'ascii' };
const ROMAJI: CodeElement = { kind: 'romaji' };
const KATAKANA: CodeElement = { kind: 'katakana' };
const JIS0208: CodeElement = { kind: 'jis0208' };
const JIS0212: CodeElement = { kind: 'jis0212' };
const KSX1001: CodeElement = { kind: 'ksx1001' };
const GB2312: CodeElement = { kind: 'gb2312' };
const single = (label: string): CodeElement => ({ kind: 'single', label });

/** ISO-IR number → single-byte decoder name and the final byte of its ESC 02/13 F (G1) designation. */
const SINGLE_BYTE: Record<string, [label: string, finalByte: number]> = {
  '100': ['latin1', 0x41],
  '101': ['iso-8859-2', 0x42],
  '109': ['iso-8859-3', 0x43],
  '110': ['iso-8859-4', 0x44],
  '144': ['iso-8859-5', 0x4c],
  '127': ['iso-8859-6', 0x47],
  '126': ['iso-8859-7', 0x46],
  '138': ['iso-8859-8', 0x48],
  '148': ['iso-8859-9', 0x4d],
  '203': ['iso-8859-15', 0x62],
  '166': ['tis-620', 0x54],
};

/** The code elements a defined term designates initially: [G0, G1]. */
export interface TermElements {
  g0: CodeElement;
  g1?: CodeElement;
}

/** ISO-IR number (as in "ISO 2022 IR 87" or "ISO_IR 100") → code elements. */
export function elementsOfIr(ir: string): TermElements | undefined {
  const sb = own(SINGLE_BYTE, ir);
  if (sb) return { g0: ASCII, g1: single(sb[0]) };
  switch (ir) {
    case '6':
      return { g0: ASCII };
    case '13':
      return { g0: ROMAJI, g1: KATAKANA };
    case '87':
      return { g0: JIS0208 };
    case '159':
      return { g0: JIS0212 };
    case '149':
      return { g0: ASCII, g1: KSX1001 };
    case '58':
      return { g0: ASCII, g1: GB2312 };
    default:
      return undefined;
  }
}

/** Terms that are not ISO 2022 based: the whole value goes through one decoder. */
export const WHOLE_VALUE_DECODERS: Record<string, string> = {
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

export interface Designation {
  /** Number of bytes of the escape sequence including ESC. */
  length: number;
  g0?: CodeElement;
  g1?: CodeElement;
}

/** Recognise the escape sequence starting at bytes[i] (bytes[i] is ESC). */
export function readEscape(bytes: Buffer, i: number): Designation | undefined {
  const b1 = bytes[i + 1];
  const b2 = bytes[i + 2];
  const b3 = bytes[i + 3];
  if (b1 === 0x28) {
    if (b2 === 0x42) return { length: 3, g0: ASCII };
    if (b2 === 0x4a) return { length: 3, g0: ROMAJI };
  } else if (b1 === 0x29) {
    if (b2 === 0x49) return { length: 3, g1: KATAKANA };
  } else if (b1 === 0x24) {
    if (b2 === 0x42 || b2 === 0x40) return { length: 3, g0: JIS0208 };
    if (b2 === 0x28 && b3 === 0x44) return { length: 4, g0: JIS0212 };
    if (b2 === 0x29 && b3 === 0x43) return { length: 4, g1: KSX1001 };
    if (b2 === 0x29 && b3 === 0x41) return { length: 4, g1: GB2312 };
  } else if (b1 === 0x2d) {
    for (const [label, finalByte] of Object.values(SINGLE_BYTE)) {
      if (finalByte === b2) return { length: 3, g1: single(label) };
    }
  }
  return undefined;
}
