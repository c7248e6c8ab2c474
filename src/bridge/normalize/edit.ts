/**
 * Copy-on-write editing of DICOM JSON: rules return a corrected copy that shares every
 * attribute they did not touch, and the very same object when nothing changed, so running
 * all rules over a 400-instance study copies only what was corrected.
 */
import type { DicomJson, DicomJsonAttribute } from '../../dicom/types.js';
import type { Finding, Severity } from './types.js';

/** Returns the replacement attribute, or undefined to keep it. */
export type VisitAttribute = (attr: DicomJsonAttribute, path: string) => DicomJsonAttribute | undefined;

/** Visit every non-sequence attribute, descending into sequence items; paths look like `00400275[0]/00401002`. */
export function mapAttributes(json: DicomJson, visit: VisitAttribute, prefix = ''): DicomJson {
  let out: DicomJson | undefined;
  for (const tag of Object.keys(json)) {
    const attr = json[tag]!;
    const path = prefix ? `${prefix}/${tag}` : tag;
    const next = attr.vr === 'SQ' ? mapItems(attr, visit, path) : (visit(attr, path) ?? attr);
    if (next !== attr) (out ??= { ...json })[tag] = next;
  }
  return out ?? json;
}

function mapItems(attr: DicomJsonAttribute, visit: VisitAttribute, path: string): DicomJsonAttribute {
  if (!attr.Value) return attr;
  let changed = false;
  const items = attr.Value.map((item, i) => {
    if (!item || typeof item !== 'object') return item;
    const next = mapAttributes(item as DicomJson, visit, `${path}[${i}]`);
    if (next !== item) changed = true;
    return next;
  });
  return changed ? { ...attr, Value: items } : attr;
}

/**
 * Map each value of an attribute; returns a new attribute only when a value changed. Values
 * mapped to undefined are dropped; an attribute left without values keeps only its VR
 * (present but empty, as DICOM JSON writes a Type 2 attribute without a value).
 */
export function mapValues(attr: DicomJsonAttribute, fn: (v: unknown) => unknown): DicomJsonAttribute | undefined {
  if (!attr.Value) return undefined;
  let changed = false;
  const values: unknown[] = [];
  for (const v of attr.Value) {
    const n = fn(v);
    if (n !== v) changed = true;
    if (n !== undefined) values.push(n);
  }
  if (!changed) return undefined;
  return values.length ? { ...attr, Value: values } : { vr: attr.vr };
}

/** A copy of the dataset with one attribute replaced (or removed when attr is undefined). */
export function withAttribute(json: DicomJson, tag: string, attr: DicomJsonAttribute | undefined): DicomJson {
  const out = { ...json };
  if (attr) out[tag] = attr;
  else delete out[tag];
  return out;
}

/** Builds a finding; `corrected` is left out when the rule only reports. */
export function finding(
  rule: string,
  severity: Severity,
  tag: string,
  original: unknown,
  message: string,
  corrected?: unknown,
): Finding {
  return corrected === undefined
    ? { rule, severity, tag, original, message }
    : { rule, severity, tag, original, corrected, message };
}
