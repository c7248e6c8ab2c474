import type { IndexKind, SearchParamDef, TypedValue } from '../definitions/search-params.js';
import { isObject } from '../types.js';
import { MAX_TIME, MIN_TIME, dateRange } from './fhir-dates.js';
import { normalizeString } from './normalize.js';
import { referenceUnion } from './reference-unions.js';
import { parseReference } from './references.js';

/** One searchable value of one parameter, as stored in the index table of its kind. */
export type IndexValue =
  | { kind: 'token'; system: string | null; code: string }
  | { kind: 'string'; norm: string; exact: string }
  | { kind: 'date'; low: number; high: number }
  | { kind: 'reference'; targetType: string | null; targetId: string | null; url: string }
  | { kind: 'quantity' | 'number'; value: number; system: string | null; code: string | null; unit: string | null }
  | { kind: 'uri'; value: string };

export interface IndexRow {
  param: string;
  value: IndexValue;
}

/**
 * Evaluates every supported search parameter of the resource's type: the rows to store for it.
 * A parameter whose values are other parameters' rows (reference-unions.ts) gets none.
 */
export function indexRows(params: SearchParamDef[], resource: unknown, baseUrl: string): IndexRow[] {
  const rows: IndexRow[] = [];
  const seen = new Set<string>();
  for (const def of params) {
    if (!def.extract || (def.kind === 'reference' && referenceUnion(def.resourceType, def.code))) continue;
    for (const typed of def.extract(resource)) {
      for (const value of valuesOf(def.kind, typed, baseUrl)) {
        const key = `${def.code}\u0000${valueKey(value)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push({ param: def.code, value });
      }
    }
  }
  return rows;
}

/**
 * Equal keys for equal values. A reference's target type and id are parsed from its url, so the
 * url alone decides it: no JSON per value for the hundreds of references an audit copy of a list
 * read names.
 */
function valueKey(v: IndexValue): string {
  if (v.kind === 'reference') return `r\u0000${v.url}`;
  if (v.kind === 'token') return `t\u0000${v.system ?? '\u0001'}\u0000${v.code}`;
  return JSON.stringify(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

export function valuesOf(kind: IndexKind, { type, value }: TypedValue, baseUrl: string): IndexValue[] {
  switch (kind) {
    case 'token':
      return tokens(type, value);
    case 'string':
      return strings(value).map((s) => ({ kind: 'string', norm: normalizeString(s), exact: s }));
    case 'date':
      return dates(type, value);
    case 'reference': {
      const ref = isObject(value) ? str(value.reference) : str(value);
      if (!ref || ref.startsWith('#')) return [];
      return [{ kind: 'reference', ...parseReference(ref, baseUrl) }];
    }
    case 'quantity':
    case 'number': {
      const q = quantity(value);
      return q ? [{ kind, ...q }] : [];
    }
    case 'uri':
      return typeof value === 'string' && value ? [{ kind: 'uri', value }] : [];
  }
}

function tokens(type: string, value: unknown): IndexValue[] {
  if (typeof value === 'boolean') return [{ kind: 'token', system: null, code: String(value) }];
  if (typeof value === 'string' || typeof value === 'number')
    return value === '' ? [] : [{ kind: 'token', system: null, code: String(value) }];
  if (!isObject(value)) return [];
  if (Array.isArray(value.coding)) return value.coding.flatMap((c) => tokens('Coding', c));
  const code =
    type === 'Identifier' || type === 'ContactPoint' || 'value' in value ? str(value.value) : str(value.code);
  return code === null ? [] : [{ kind: 'token', system: str(value.system), code }];
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : [];
  if (!isObject(value)) return [];
  const parts: string[] = [];
  for (const key of [
    'text',
    'family',
    'given',
    'prefix',
    'suffix',
    'line',
    'city',
    'district',
    'state',
    'postalCode',
    'country',
  ]) {
    const v = value[key];
    for (const s of Array.isArray(v) ? v : [v]) if (typeof s === 'string' && s) parts.push(s);
  }
  return parts;
}

function dates(type: string, value: unknown): IndexValue[] {
  if (typeof value === 'string') {
    const r = dateRange(value);
    return r ? [{ kind: 'date', ...r }] : [];
  }
  if (!isObject(value)) return [];
  if (type === 'Period' || 'start' in value || 'end' in value) {
    const start = typeof value.start === 'string' ? dateRange(value.start) : undefined;
    const end = typeof value.end === 'string' ? dateRange(value.end) : undefined;
    if (!start && !end) return [];
    return [{ kind: 'date', low: start?.low ?? MIN_TIME, high: end?.high ?? MAX_TIME }];
  }
  if (Array.isArray(value.event)) return value.event.flatMap((e) => dates('dateTime', e));
  return [];
}

function quantity(
  value: unknown,
): { value: number; system: string | null; code: string | null; unit: string | null } | undefined {
  if (typeof value === 'number') return { value, system: null, code: null, unit: null };
  if (!isObject(value) || typeof value.value !== 'number') return undefined;
  return {
    value: value.value,
    system: str(value.system),
    code: str(value.code) ?? str(value.currency),
    unit: str(value.unit),
  };
}
