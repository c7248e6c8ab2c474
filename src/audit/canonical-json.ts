/**
 * JSON with object keys sorted and no whitespace (RFC 8785 style for the values FHIR uses:
 * strings, finite numbers, booleans, arrays, objects). The chain hashes this text, so the same
 * event always hashes the same whatever order its builder wrote the keys in. Non-ASCII is
 * escaped, so the text is also safe as an RFC 5424 MSG.
 */
export function canonicalJson(value: unknown): string {
  return write(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function write(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : write(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v)}`).join(',')}}`;
}
