/**
 * The library hands us query identifiers as dcmjs "naturalized" objects (keyword → value,
 * single values unwrapped, PN as {Alphabetic}, sequences as arrays of objects, empty values
 * as "" or null). This turns one into DICOM JSON so the rest of the code sees one model.
 * Private and unknown attributes are dropped: we neither match on them nor return them.
 * Binary numeric keys (US, UL, …) lose their value (see attribute()).
 */
import { tagOfKeyword, tagToHex, vrOfTag, type DicomJson, type DicomJsonAttribute } from '../dicom/index.js';

const TAG = /^[0-9A-Fa-f]{8}$/;
const isPrivateTag = (tag: number) => ((tag >>> 16) & 1) === 1;
/** VRs whose leading spaces carry no meaning either (PS3.5 6.2). */
const TRIM_BOTH = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'TM', 'UI', 'SH', 'LO', 'PN']);
const NUMERIC = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'SV', 'UV']);

export function naturalToJson(natural: Record<string, unknown>): DicomJson {
  const out: DicomJson = {};
  for (const [key, value] of Object.entries(natural)) {
    if (key.startsWith('_')) continue; // _vrMap, _meta
    const num = TAG.test(key) ? parseInt(key, 16) >>> 0 : tagOfKeyword(key);
    if (num === undefined || isPrivateTag(num)) continue;
    const vr = vrOfTag(num);
    if (!vr) continue;
    out[tagToHex(num)] = attribute(vr, value);
  }
  return out;
}

function attribute(vr: string, value: unknown): DicomJsonAttribute {
  const list = value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
  let values: unknown[];
  if (vr === 'SQ') {
    values = list.filter(isRecord).map(naturalToJson);
  } else if (vr === 'PN') {
    values = list.map(personName).filter((v) => v !== undefined);
  } else if (NUMERIC.has(vr)) {
    // The library reads a zero-length US/UL/… as 0: "return Rows" and "Rows = 0" look alike,
    // so binary numbers in an identifier are return keys only.
    values = [];
  } else if (vr === 'IS' || vr === 'DS') {
    values = list
      .map((v) => (typeof v === 'string' ? trimValue(v, vr) : v))
      .filter((v) => typeof v === 'number' || (typeof v === 'string' && v !== ''));
  } else if (vr.startsWith('O') || vr === 'UN') {
    values = []; // binary values in an identifier: return keys at most
  } else {
    values = list.filter((v): v is string => typeof v === 'string').map((v) => trimValue(v, vr));
  }
  // One empty string is how the library renders a zero-length value.
  if (values.length === 1 && values[0] === '') values = [];
  return values.length > 0 ? { vr, Value: values } : { vr };
}

/** Padding (space, or NUL after a UID) is not part of a value; leading spaces only matter in texts. */
function trimValue(v: string, vr: string): string {
  const end = v.replace(/[\s\0]+$/, '');
  return TRIM_BOTH.has(vr) ? end.replace(/^\s+/, '') : end;
}

function personName(v: unknown): Record<string, string> | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : { Alphabetic: v.trim() };
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const group of ['Alphabetic', 'Ideographic', 'Phonetic']) {
    const text = v[group];
    if (typeof text === 'string' && text.trim() !== '') out[group] = text.trim();
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
