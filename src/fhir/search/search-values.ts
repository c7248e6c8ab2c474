import { badRequest } from '../../core/errors.js';
import { dateRange } from './fhir-dates.js';
import { parseReference } from './references.js';
import type { DateValue, NumberValue, Prefix, ReferenceValue, TokenValue } from './search-request.js';

/** Parsing of one search value by parameter kind (FHIR R4 3.1.1.4, 3.1.1.5). */

const PREFIXES = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/** Splits on unescaped `sep` and removes the escapes (`\,` `\|` `\$` `\\`). */
export function splitEscaped(value: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) {
      const next = value[i + 1];
      // Keep the escape for the separators of a later split.
      cur += next === sep || next === '\\' ? next : c + next;
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function prefixed(value: string): { prefix: Prefix; rest: string } {
  const p = value.slice(0, 2);
  if (PREFIXES.has(p) && /^[0-9-]/.test(value.slice(2))) return { prefix: p as Prefix, rest: value.slice(2) };
  return { prefix: 'eq', rest: value };
}

export function tokenValue(value: string): TokenValue {
  const parts = splitEscaped(value, '|');
  if (parts.length === 1) return { code: parts[0] };
  if (parts.length !== 2) throw badRequest(`token "${value}" has more than one |`);
  const [system, code] = parts;
  if (system === '' && code === '') throw badRequest('empty token');
  return { system: system === '' ? null : system, code: code === '' ? undefined : code };
}

export function dateValue(value: string, name: string): DateValue {
  const { prefix, rest } = prefixed(value);
  const range = dateRange(rest);
  if (!range) throw badRequest(`${name}: "${value}" is not a FHIR date`);
  return { prefix, range };
}

export function numberValue(value: string, name: string, quantity: boolean): NumberValue {
  const [num, system, code, ...extra] = quantity ? splitEscaped(value, '|') : [value];
  if (extra.length) throw badRequest(`${name}: "${value}" has too many |`);
  const { prefix, rest } = prefixed(num);
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(rest)) throw badRequest(`${name}: "${value}" is not a number`);
  const n = Number(rest);
  const mantissa = rest.split(/[eE]/)[0];
  const exponent = Number(rest.split(/[eE]/)[1] ?? 0);
  const decimals = (mantissa.split('.')[1] ?? '').length;
  const half = 0.5 * 10 ** (exponent - decimals);
  const v: NumberValue = { prefix, value: n, low: n - half, high: n + half };
  if (system) v.system = system;
  if (code) v.code = code;
  return v;
}

export function referenceValue(
  value: string,
  typeModifier: string | undefined,
  targets: string[],
  baseUrl: string,
): ReferenceValue {
  if (value === '') throw badRequest('empty reference');
  if (!value.includes('/')) {
    if (typeModifier) return { targetType: typeModifier, id: value };
    return targets.length === 1 ? { targetType: targets[0], id: value } : { id: value };
  }
  const parsed = parseReference(value, baseUrl);
  if (parsed.targetType) return { targetType: parsed.targetType, id: parsed.targetId! };
  return { url: value };
}
