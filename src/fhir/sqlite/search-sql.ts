import {
  approximately,
  type Condition,
  type DateValue,
  type NumberValue,
  type SortRule,
} from '../search/search-request.js';
import { normalizeString } from '../search/normalize.js';
import { tableOf } from './schema.js';

export interface Sql {
  sql: string;
  args: (string | number | null)[];
}

/** The numeric id of a search parameter of a type; undefined when nothing was ever indexed for it. */
export type ParamIds = (resourceType: string, code: string) => number | undefined;

const TRUE: Sql = { sql: '1', args: [] };
const FALSE: Sql = { sql: '0', args: [] };

/**
 * How a condition is joined to the resources row: `in` collects the matching resources from
 * the (param, value) index once (the condition that drives the query); `exists` checks one
 * candidate row through the (resource_pk, param) index (every other condition).
 */
export type Mode = 'in' | 'exists' | 'count' | 'select';

const NOTHING: Sql = { sql: 'SELECT NULL AS resource_pk WHERE 0', args: [] };

/** `count` mode: how many index rows match, counted up to this cap (an estimate to pick the driver). */
export const ESTIMATE_CAP = 2000;

/**
 * One search condition as a predicate on the resources row `alias`. Every value test is a
 * lookup in an sp_* table; nothing is computed from stored JSON.
 */
export function conditionSql(
  c: Condition,
  alias: string,
  resourceType: string,
  ids: ParamIds,
  now: number,
  mode: Mode = 'in',
): Sql {
  switch (c.kind) {
    case 'id':
      return { sql: `${alias}.id ${c.not ? 'NOT ' : ''}IN (${c.ids.map(() => '?').join(', ')})`, args: c.ids };
    case 'lastUpdated':
      return or(c.values.map((v) => dateTest(v, `${alias}.last_updated`, `${alias}.last_updated`, now)));
    case 'chain':
      return chainSql(c, alias, ids, now, mode);
    case 'any':
      return anySql(c, alias, resourceType, ids, now, mode);
    default:
      break;
  }
  const param = ids(resourceType, c.param.code);
  const table = tableOf(c.param.kind);
  const negated = (c.kind === 'token' && c.not) || (c.kind === 'missing' && c.missing);
  if (param === undefined)
    return mode === 'count' ? { sql: 'SELECT 0 AS n', args: [] } : mode === 'select' ? NOTHING : negated ? TRUE : FALSE;
  const inner = valueTest(c, now);
  if (inner === undefined) return mode === 'select' ? NOTHING : FALSE;
  return joined(alias, table, param, inner, negated && mode !== 'count' ? 'exists' : mode, negated);
}

function joined(alias: string, table: string, param: number, test: Sql, mode: Mode, negated: boolean): Sql {
  const filter = test.sql === '1' ? '' : ` AND (${test.sql})`;
  if (mode === 'select')
    return { sql: `SELECT resource_pk FROM ${table} WHERE param = ?${filter}`, args: [param, ...test.args] };
  if (mode === 'in')
    return {
      sql: `${alias}.pk IN (SELECT resource_pk FROM ${table} WHERE param = ?${filter})`,
      args: [param, ...test.args],
    };
  if (mode === 'count')
    return {
      sql: `SELECT count(*) AS n FROM (SELECT 1 FROM ${table} WHERE param = ?${filter} LIMIT ${ESTIMATE_CAP})`,
      args: [param, ...test.args],
    };
  return {
    sql: `${negated ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${table} INDEXED BY ${table}_resource WHERE resource_pk = ${alias}.pk AND param = ?${filter})`,
    args: [param, ...test.args],
  };
}

function valueTest(c: Condition, now: number): Sql | undefined {
  switch (c.kind) {
    case 'missing':
      return TRUE;
    case 'token':
      return or(
        c.values.map((v) => {
          const parts: Sql[] = [];
          if (v.code !== undefined) parts.push({ sql: 'code = ?', args: [v.code] });
          if (v.system === null) parts.push({ sql: 'system IS NULL', args: [] });
          else if (v.system !== undefined) parts.push({ sql: 'system = ?', args: [v.system] });
          return and(parts);
        }),
      );
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

function chainSql(
  c: Extract<Condition, { kind: 'chain' }>,
  alias: string,
  ids: ParamIds,
  now: number,
  mode: Mode,
): Sql {
  const param = ids(c.param.resourceType, c.param.code);
  if (param === undefined)
    return mode === 'count' ? { sql: 'SELECT 0 AS n', args: [] } : mode === 'select' ? NOTHING : FALSE;
  const targets = c.targets.map(({ type, condition }) => {
    const inner = conditionSql(condition, 't', type, ids, now);
    return {
      sql: `target_type = ? AND target_id IN (SELECT t.id FROM resources t WHERE t.type = ? AND t.deleted = 0 AND (${inner.sql}))`,
      args: [type, type, ...inner.args],
    };
  });
  return joined(alias, 'sp_reference', param, or(targets), mode, false);
}

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

/** OR of AND groups; when it drives, the union of each group's index rows. */
function anySql(
  c: Extract<Condition, { kind: 'any' }>,
  alias: string,
  resourceType: string,
  ids: ParamIds,
  now: number,
  mode: Mode,
): Sql {
  if (mode !== 'exists' && anyDrives(c)) {
    const selects = c.groups.map(([g]) =>
      g.kind === 'id'
        ? {
            sql: `SELECT pk AS resource_pk FROM resources WHERE type = ? AND id IN (${g.ids.map(() => '?').join(', ')})`,
            args: [resourceType, ...g.ids],
          }
        : conditionSql(g, alias, resourceType, ids, now, 'select'),
    );
    const union: Sql = { sql: selects.map((s) => s.sql).join(' UNION ALL '), args: selects.flatMap((s) => s.args) };
    if (mode === 'count')
      return { sql: `SELECT count(*) AS n FROM (${union.sql} LIMIT ${ESTIMATE_CAP})`, args: union.args };
    if (mode === 'select') return union;
    return { sql: `${alias}.pk IN (${union.sql})`, args: union.args };
  }
  if (c.groups.length === 0) return mode === 'select' ? NOTHING : FALSE;
  return or(c.groups.map((g) => and(g.map((x) => conditionSql(x, alias, resourceType, ids, now, 'exists')))));
}

function stringTest(mode: 'prefix' | 'exact' | 'contains', v: string): Sql {
  const norm = normalizeString(v);
  if (mode === 'exact') return { sql: 'norm = ? AND exact = ?', args: [norm, v] };
  if (mode === 'contains')
    return { sql: "norm LIKE ? ESCAPE '\\'", args: [`%${norm.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`] };
  return prefixRange('norm', norm);
}

/** `column` starts with `prefix`, as a range the (param, column) index answers. */
function prefixRange(column: string, prefix: string): Sql {
  if (prefix === '') return TRUE;
  const last = prefix.codePointAt(prefix.length - 1)!;
  const head = prefix.slice(0, prefix.length - (last > 0xffff ? 2 : 1));
  return { sql: `${column} >= ? AND ${column} < ?`, args: [prefix, head + String.fromCodePoint(last + 1)] };
}

/** FHIR R4 date prefixes (3.1.1.4) over an inclusive [low, high] span. */
function dateTest({ prefix, range }: DateValue, low: string, high: string, now: number): Sql {
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
      const a = approximately(range, now);
      return { sql: `${low} <= ? AND ${high} >= ?`, args: [a.high, a.low] };
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

/** ORDER BY terms; a resource without a value sorts last either way. */
export function sortSql(rules: SortRule[], resourceType: string, ids: ParamIds): Sql {
  const terms: string[] = [];
  const args: (string | number)[] = [];
  for (const { param, descending } of rules) {
    const dir = descending ? 'DESC' : 'ASC';
    if (param.column === 'id') terms.push(`r.id ${dir}`);
    else if (param.column === 'lastUpdated') terms.push(`r.last_updated ${dir}`);
    else {
      const id = ids(resourceType, param.code);
      if (id === undefined) continue;
      const column = {
        token: 'code',
        string: 'norm',
        date: descending ? 'high' : 'low',
        reference: 'url',
        quantity: 'value',
        number: 'value',
        uri: 'value',
      }[param.kind];
      // INDEXED BY: without statistics SQLite may walk the (param, value) index for max()/min() instead.
      const table = tableOf(param.kind);
      const expr = `(SELECT ${descending ? 'max' : 'min'}(${column}) FROM ${table} INDEXED BY ${table}_resource WHERE resource_pk = r.pk AND param = ?)`;
      // Resources without a value sort last either way; NULLS LAST evaluates the subquery once per row.
      terms.push(`${expr} ${dir} NULLS LAST`);
      args.push(id);
    }
  }
  terms.push('r.pk ASC');
  return { sql: terms.join(', '), args };
}

function or(parts: Sql[]): Sql {
  if (parts.length === 1) return parts[0];
  return { sql: parts.map((p) => `(${p.sql})`).join(' OR '), args: parts.flatMap((p) => p.args) };
}

function and(parts: Sql[]): Sql {
  if (parts.length === 0) return TRUE;
  return { sql: parts.map((p) => `(${p.sql})`).join(' AND '), args: parts.flatMap((p) => p.args) };
}
