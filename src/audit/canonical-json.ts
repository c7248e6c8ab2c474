/**
 * JSON with object keys sorted and no whitespace (RFC 8785 style for the values FHIR uses:
 * strings, finite numbers, booleans, arrays, objects). The chain hashes this text, so the same
 * event always hashes the same whatever order its builder wrote the keys in. Non-ASCII is
 * escaped, so the text is also safe as an RFC 5424 MSG.
 */
export function canonicalJson(value: unknown): string {
  return ascii(write(value, undefined));
}

/**
 * The canonical text of each value, written as one job: an object or array that several values
 * share (the BALP events of one access share their agents, source, query and request entities)
 * is written once. The values must not change while this runs.
 */
export function canonicalJsonAll(values: readonly unknown[]): string[] {
  const memo = new Map<object, string>();
  return values.map((v) => ascii(write(v, memo)));
}

/**
 * The text of deep-frozen objects (frozen, and every object inside too): they cannot change, so
 * their text is written once per process. The BALP builders freeze their constants (codings, the
 * server's source and agent), which every record repeats.
 */
const FROZEN_TEXT = new WeakMap<object, string>();

const NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII_ALL = /[\u007f-\uffff]/g;

function ascii(text: string): string {
  // Most records are ASCII: a test does not copy the string.
  if (!NON_ASCII.test(text)) return text;
  return text.replace(NON_ASCII_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function write(value: unknown, memo: Map<object, string> | undefined): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value) ?? 'null';
  }
  const frozen = Object.isFrozen(value);
  const known = frozen ? FROZEN_TEXT.get(value) : memo?.get(value);
  if (known !== undefined) return known;
  let deep = frozen;
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      out += `${i ? ',' : ''}${v === undefined ? 'null' : write(v, memo)}`;
      if (deep && v !== null && typeof v === 'object') deep = FROZEN_TEXT.has(v);
    }
    out += ']';
  } else {
    const object = value as Record<string, unknown>;
    // Default sort: by UTF-16 code units, as RFC 8785 orders member names.
    const keys = Object.keys(object).sort();
    out = '{';
    let first = true;
    for (const k of keys) {
      const v = object[k];
      if (v === undefined) continue;
      out += `${first ? '' : ','}${JSON.stringify(k)}:${write(v, memo)}`;
      first = false;
      if (deep && v !== null && typeof v === 'object') deep = FROZEN_TEXT.has(v);
    }
    out += '}';
  }
  if (deep) FROZEN_TEXT.set(value, out);
  else memo?.set(value, out);
  return out;
}
