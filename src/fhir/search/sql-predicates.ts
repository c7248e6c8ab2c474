import { normalizeString } from './normalize.js';
import { approximately, type Condition, type DateValue, type NumberValue, type TokenValue } from './search-request.js';

/**
 * The value tests of a search condition on the columns of an index table, in SQL that SQLite
 * and PostgreSQL both read (`?` placeholders; the PostgreSQL compiler numbers them). Each
 * backend joins them to its own tables (sqlite/search-sql.ts, postgres/search-sql.ts).
 */
export interface Sql {
  sql: string;
  args: (string | number | null)[];
}

export const TRUE: Sql = { sql: 'TRUE', args: [] };
export const FALSE: Sql = { sql: 'FALSE', args: [] };

/** Can an `any` condition collect its candidates from the index: is each group one positive index condition (or `_id`)? */
export function anyDrives(c: Extract<Condition, { kind: 'any' }>): boolean {
  return (
    c.groups.length > 0 && c.groups.every((g) => g.length === 1 && (g[0].kind === 'id' ? !g[0].not : indexDriven(g[0])))
  );
}

/** A positive condition answered from an sp_* table (the ones an `IN` over the index can drive). */
export function indexDriven(c: Condition): boolean {
  if (c.kind === 'id' || c.kind === 'lastUpdated') return false;
  if (c.kind === 'token' && c.not) return false;
  if (c.kind === 'missing') return !c.missing;
  if (c.kind === 'any') return anyDrives(c);
  return true;
}

/** The test on one index row of the condition's kind; undefined for conditions not answered by an index table. */
export function valueTest(c: Condition, now: number): Sql | undefined {
  switch (c.kind) {
    case 'missing':
      return TRUE;
    case 'token':
      return c.values.length > 1 ? tokenList(c.values) : tokenTest(c.values[0]);
    case 'string':
      return or(c.values.map((v) => stringTest(c.mode, v)));
    case 'date':
      return or(c.values.map((v) => dateTest(v, 'low', 'high', now)));
    case 'number':
      return or(c.values.map(numberTest));
    case 'reference':
      return or(
        c.values.map((v) => {
          if (v.url !== undefined) return { sql: 'url = ?', args: [v.url] };
          if (v.targetType) return { sql: 'target_id = ? AND target_type = ?', args: [v.id!, v.targetType] };
          return { sql: 'target_id = ?', args: [v.id!] };
        }),
      );
    case 'uri':
      return or(c.values.map((v) => (c.below ? prefixRange('value', v) : { sql: 'value = ?', args: [v] })));
    default:
      return undefined;
  }
}

function tokenTest(v: TokenValue): Sql {
  const parts: Sql[] = [];
  if (v.code !== undefined) parts.push({ sql: 'code = ?', args: [v.code] });
  if (v.system === null) parts.push({ sql: 'system IS NULL', args: [] });
  else if (v.system !== undefined) parts.push({ sql: 'system = ?', args: [v.system] });
  return and(parts);
}

/**
 * A list of token values with one column `IN` list the (param, code) or (param, system) index
 * can seek. An OR of `code = ? AND system = ?` alternatives alone is not: SQLite without
 * statistics (a store no ANALYZE has seen) walks every row of the parameter, and so does
 * PostgreSQL before its first analyze for long lists (session 21). Codes under one system (or all
 * without one, or all of any system): `code IN (…)` and that system test, the same rows. Other
 * coded lists: `code IN (…)` ANDed to the OR (each alternative implies it). `system|` values
 * only: `system IN (…)`. A mix of `system|` and coded values keeps the plain OR: no one column
 * holds a value of each.
 */
function tokenList(values: readonly TokenValue[]): Sql {
  const alternatives = () => or(values.map(tokenTest));
  if (values.every((v) => v.code !== undefined)) {
    const codes = inList(
      'code',
      values.map((v) => v.code!),
    );
    const system = values[0].system;
    if (values.every((v) => v.system === system))
      return system === undefined ? codes : and([codes, tokenTest({ system })]);
    return and([codes, alternatives()]);
  }
  if (values.every((v) => v.code === undefined && typeof v.system === 'string'))
    return inList(
      'system',
      values.map((v) => v.system!),
    );
  return alternatives();
}

function inList(column: string, values: string[]): Sql {
  const distinct = [...new Set(values)];
  return { sql: `${column} IN (${distinct.map(() => '?').join(', ')})`, args: distinct };
}

function stringTest(mode: 'prefix' | 'exact' | 'contains', v: string): Sql {
  const norm = normalizeString(v);
  if (mode === 'exact') return { sql: 'norm = ? AND exact = ?', args: [norm, v] };
  if (mode === 'contains')
    return { sql: "norm LIKE ? ESCAPE '\\'", args: [`%${norm.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`] };
  return prefixRange('norm', norm);
}

/** `column` starts with `prefix`, as a range a (param, column) index answers (binary collation). */
function prefixRange(column: string, prefix: string): Sql {
  if (prefix === '') return TRUE;
  const last = prefix.codePointAt(prefix.length - 1)!;
  const head = prefix.slice(0, prefix.length - (last > 0xffff ? 2 : 1));
  return { sql: `${column} >= ? AND ${column} < ?`, args: [prefix, head + String.fromCodePoint(last + 1)] };
}

/** FHIR R4 date prefixes (3.1.1.4) over an inclusive [low, high] span of epoch ms. */
export function dateTest({ prefix, range }: DateValue, low: string, high: string, now: number): Sql {
  const { low: pl, high: ph } = range;
  switch (prefix) {
    case 'eq':
      return { sql: `${low} >= ? AND ${high} <= ?`, args: [pl, ph] };
    case 'ne':
      return { sql: `NOT (${low} >= ? AND ${high} <= ?)`, args: [pl, ph] };
    case 'gt':
      return { sql: `${high} > ?`, args: [ph] };
    case 'ge':
      return { sql: `${high} >= ?`, args: [pl] };
    case 'lt':
      return { sql: `${low} < ?`, args: [pl] };
    case 'le':
      return { sql: `${low} <= ?`, args: [ph] };
    case 'sa':
      return { sql: `${low} > ?`, args: [ph] };
    case 'eb':
      return { sql: `${high} < ?`, args: [pl] };
    case 'ap': {
      // Whole milliseconds (widened outwards): the columns are integers (PostgreSQL: bigint).
      const a = approximately(range, now);
      return { sql: `${low} <= ? AND ${high} >= ?`, args: [Math.ceil(a.high), Math.floor(a.low)] };
    }
  }
}

function numberTest(v: NumberValue): Sql {
  const parts: Sql[] = [];
  switch (v.prefix) {
    case 'eq':
      parts.push({ sql: 'value >= ? AND value < ?', args: [v.low, v.high] });
      break;
    case 'ne':
      parts.push({ sql: 'NOT (value >= ? AND value < ?)', args: [v.low, v.high] });
      break;
    case 'gt':
    case 'sa':
      parts.push({ sql: 'value > ?', args: [v.value] });
      break;
    case 'lt':
    case 'eb':
      parts.push({ sql: 'value < ?', args: [v.value] });
      break;
    case 'ge':
      parts.push({ sql: 'value >= ?', args: [v.value] });
      break;
    case 'le':
      parts.push({ sql: 'value <= ?', args: [v.value] });
      break;
    case 'ap': {
      const d = Math.abs(v.value) * 0.1;
      parts.push({ sql: 'value >= ? AND value <= ?', args: [v.value - d, v.value + d] });
      break;
    }
  }
  if (v.system) parts.push({ sql: 'system = ?', args: [v.system] });
  if (v.code)
    parts.push(
      v.system ? { sql: 'code = ?', args: [v.code] } : { sql: '(code = ? OR unit = ?)', args: [v.code, v.code] },
    );
  return and(parts);
}

/** The column a `_sort` on a parameter of this kind orders by (dates: low ascending, high descending). */
export function sortColumn(kind: string, descending: boolean): string {
  switch (kind) {
    case 'token':
      return 'code';
    case 'string':
      return 'norm';
    case 'date':
      return descending ? 'high' : 'low';
    case 'reference':
      return 'url';
    default:
      return 'value';
  }
}

export function or(parts: Sql[]): Sql {
  if (parts.length === 1) return parts[0];
  return { sql: parts.map((p) => `(${p.sql})`).join(' OR '), args: parts.flatMap((p) => p.args) };
}

export function and(parts: Sql[]): Sql {
  if (parts.length === 0) return TRUE;
  return { sql: parts.map((p) => `(${p.sql})`).join(' AND '), args: parts.flatMap((p) => p.args) };
}
