import type { Condition, SortRule } from '../search/search-request.js';
import {
  and,
  anyDrives,
  dateTest,
  FALSE,
  indexDriven,
  or,
  sortColumn,
  type Sql,
  TRUE,
  valueTest,
} from '../search/sql-predicates.js';

export { indexDriven };
import { referenceParamTest, type TextTests } from '../search/reference-unions.js';
import { tableOf } from './schema.js';

export type { Sql };

/** The numeric id of a search parameter of a type; undefined when nothing was ever indexed for it. */
export type ParamIds = (resourceType: string, code: string) => number | undefined;

/**
 * How a condition is joined to the resources row: `in` collects the matching resources from
 * the (param, value) index once (the condition that drives the query); `exists` checks one
 * candidate row through the (resource_pk, param) index (every other condition).
 */
export type Mode = 'in' | 'exists' | 'count' | 'select';

/** Text tests for reference unions (search/reference-unions.ts): instr is case-sensitive, LIKE is not. */
export const SQLITE_TEXT: TextTests = { starts: (c) => `instr(${c}, ?) = 1`, contains: (c) => `instr(${c}, ?) > 0` };

/**
 * The index rows of a parameter: `param = ?`, or (a reference union) the rows of the parameters
 * that hold its values. Undefined when nothing was ever indexed for it.
 */
export function paramTest(
  resourceType: string,
  code: string,
  kind: string,
  ids: ParamIds,
  column = '',
): { sql: string; args: (string | number)[] } | undefined {
  if (kind === 'reference') return referenceParamTest(resourceType, code, ids, SQLITE_TEXT, column);
  const id = ids(resourceType, code);
  return id === undefined ? undefined : { sql: `${column}param = ?`, args: [id] };
}

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
  const param = paramTest(resourceType, c.param.code, c.param.kind, ids);
  const table = tableOf(c.param.kind);
  const negated = (c.kind === 'token' && c.not) || (c.kind === 'missing' && c.missing);
  if (param === undefined)
    return mode === 'count' ? { sql: 'SELECT 0 AS n', args: [] } : mode === 'select' ? NOTHING : negated ? TRUE : FALSE;
  const inner = valueTest(c, now);
  if (inner === undefined) return mode === 'select' ? NOTHING : FALSE;
  return joined(alias, table, param, inner, negated && mode !== 'count' ? 'exists' : mode, negated);
}

function joined(alias: string, table: string, param: Sql, test: Sql, mode: Mode, negated: boolean): Sql {
  const filter = test === TRUE ? '' : ` AND (${test.sql})`;
  const args = [...param.args, ...test.args];
  const p = param.sql;
  if (mode === 'select') return { sql: `SELECT resource_pk FROM ${table} WHERE ${p}${filter}`, args };
  if (mode === 'in') return { sql: `${alias}.pk IN (SELECT resource_pk FROM ${table} WHERE ${p}${filter})`, args };
  if (mode === 'count')
    return {
      sql: `SELECT count(*) AS n FROM (SELECT 1 FROM ${table} WHERE ${p}${filter} LIMIT ${ESTIMATE_CAP})`,
      args,
    };
  return {
    sql: `${negated ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${table} INDEXED BY ${table}_resource WHERE resource_pk = ${alias}.pk AND ${p}${filter})`,
    args,
  };
}

function chainSql(
  c: Extract<Condition, { kind: 'chain' }>,
  alias: string,
  ids: ParamIds,
  now: number,
  mode: Mode,
): Sql {
  const param = paramTest(c.param.resourceType, c.param.code, 'reference', ids);
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

/** ORDER BY terms; a resource without a value sorts last either way. */
export function sortSql(rules: SortRule[], resourceType: string, ids: ParamIds): Sql {
  const terms: string[] = [];
  const args: (string | number)[] = [];
  for (const { param, descending } of rules) {
    const dir = descending ? 'DESC' : 'ASC';
    if (param.column === 'id') terms.push(`r.id ${dir}`);
    else if (param.column === 'lastUpdated') terms.push(`r.last_updated ${dir}`);
    else {
      const test = paramTest(resourceType, param.code, param.kind, ids);
      if (test === undefined) continue;
      const column = sortColumn(param.kind, descending);
      // INDEXED BY: without statistics SQLite may walk the (param, value) index for max()/min() instead.
      const table = tableOf(param.kind);
      const expr = `(SELECT ${descending ? 'max' : 'min'}(${column}) FROM ${table} INDEXED BY ${table}_resource WHERE resource_pk = r.pk AND ${test.sql})`;
      // Resources without a value sort last either way; NULLS LAST evaluates the subquery once per row.
      terms.push(`${expr} ${dir} NULLS LAST`);
      args.push(...test.args);
    }
  }
  terms.push('r.pk ASC');
  return { sql: terms.join(', '), args };
}
