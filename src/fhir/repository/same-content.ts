import type { FhirResource } from '../types.js';

/** Whether two versions say the same thing, ignoring server-owned meta and key order. */
export function sameContent(a: FhirResource, b: FhirResource): boolean {
  return canonical(strip(a)) === canonical(strip(b));
}

function strip(r: FhirResource): FhirResource {
  const { versionId: _v, lastUpdated: _l, ...meta } = r.meta ?? {};
  const copy: FhirResource = { ...r };
  if (Object.keys(meta).length) copy.meta = meta;
  else delete copy.meta;
  return copy;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
