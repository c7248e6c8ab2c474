/** Reading plain values out of DICOM JSON, for callers that want one string per attribute. */
import type { DicomJson } from './types.js';

/**
 * First value of an attribute as a string: PN → its Alphabetic group (else Ideographic,
 * else Phonetic), numbers → decimal text. Undefined when the attribute is absent; "" when
 * it is present but empty.
 */
export function jsonString(json: DicomJson, tagHex: string): string | undefined {
  const attr = json[tagHex];
  if (!attr) return undefined;
  const v = attr.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'object') {
    const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
    return pn.Alphabetic ?? pn.Ideographic ?? pn.Phonetic ?? '';
  }
  return '';
}

/** All values of a string attribute (nulls become ""). */
export function jsonStrings(json: DicomJson, tagHex: string): string[] {
  return (json[tagHex]?.Value ?? []).map((v) =>
    typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v),
  );
}
