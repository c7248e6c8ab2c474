import type { Condition, SortRule } from '../search/search-request.js';
import {
  anyDrives,
  dateTest,
  FALSE,
  or,
  and,
  sortColumn,
  type Sql,
  TRUE,
  valueTest,
} from '../search/sql-predicates.js';
import { referenceParamTest, type TextTests } from '../search/reference-unions.js';
import { tableOf } from './schema.js';

/** The numeric id of a search parameter of a type; undefined for one the registry does not know. */
export type ParamIds = (resourceType: string, code: string) => number | undefined;

export interface SearchContext {
  /** `schema.`, prefixed to every table. */
  s: string;
  ids: ParamIds;
  now: number;
}

/**
 * `in`: the matching keys as a set (PostgreSQL turns it into a semi-join and chooses the order);
 * `exists`: a test of one candidate row (negations, and conditions inside an OR);
 * `select`: the keys themselves, for a UNION.
 */
type Mode = 'in' | 'exists' | 'select';

/** Text tests for reference unions (search/reference-unions.ts). */
export const PG_TEXT: TextTests = { starts: (c) => `strpos(${c}, ?) = 1`, contains: (c) => `strpos(${c}, ?) > 0` };

/**
 * The index rows of a parameter: `param = ?`, or (a reference union) the rows of the parameters
 * that hold its values. Undefined for a parameter the registry does not know.
 */
export function paramTest(
  type: string,
  code: string,
  kind: string,
  ids: ParamIds,
  column = '',
): { sql: string; args: (string | number)[] } | undefined {
  if (kind === 'reference') return referenceParamTest(type, code, ids, PG_TEXT, column);
  const id = ids(type, code);
  return id === undefined ? undefined : { sql: `${column}param = ?`, args: [id] };
}

const NOTHING: Sql = { sql: 'SELECT NULL::bigint AS resource_pk WHERE FALSE', args: [] };

/** One search condition as a predicate on the resources row `alias`; values are tested in the sp_* tables only. */
export function conditionSql(c: Condition, alias: string, type: string, ctx: SearchContext, mode: Mode = 'in'): Sql {
  switch (c.kind) {
    case 'id':
      // PostgreSQL has no empty IN list (an access restriction can hold no id).
      if (c.ids.length === 0) return mode === 'select' ? NOTHING : c.not ? TRUE : FALSE;
      return { sql: `${alias}.id ${c.not ? 'NOT ' : ''}IN (${c.ids.map(() => '?').join(', ')})`, args: c.ids };
    case 'lastUpdated':
      return or(c.values.map((v) => dateTest(v, `${alias}.last_updated`, `${alias}.last_updated`, ctx.now)));
    case 'chain':
      return chainSql(c, alias, ctx, mode);
    case 'any':
      return anySql(c, alias, type, ctx, mode);
    default:
      break;
  }
  const param = paramTest(type, c.param.code, c.param.kind, ctx.ids);
  const negated = (c.kind === 'token' && c.not) || (c.kind === 'missing' && c.missing);
  if (param === undefined) return mode === 'select' ? NOTHING : negated ? TRUE : FALSE;
  const inner = valueTest(c, ctx.now);
  if (inner === undefined) return mode === 'select' ? NOTHING : FALSE;
  return joined(alias, `${ctx.s}${tableOf(c.param.kind)}`, param, inner, negated ? 'exists' : mode, negated);
}

function joined(alias: string, table: string, param: Sql, test: Sql, mode: Mode, negated: boolean): Sql {
  const filter = test === TRUE ? '' : ` AND (${test.sql})`;
  const args = [...param.args, ...test.args];
  const p = param.sql;
  if (mode === 'select') return { sql: `SELECT resource_pk FROM ${table} WHERE ${p}${filter}`, args };
  if (mode === 'in') return { sql: `${alias}.pk IN (SELECT resource_pk FROM ${table} WHERE ${p}${filter})`, args };
  return {
    sql: `${negated ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${table} WHERE resource_pk = ${alias}.pk AND ${p}${filter})`,
    args,
  };
}

function chainSql(c: Extract<Condition, { kind: 'chain' }>, alias: string, ctx: SearchContext, mode: Mode): Sql {
  const param = paramTest(c.param.resourceType, c.param.code, 'reference', ctx.ids);
  if (param === undefined) return mode === 'select' ? NOTHING : FALSE;
  const targets = c.targets.map(({ type, condition }) => {
    const inner = conditionSql(condition, 't', type, ctx);
    return {
      sql: `target_type = ? AND target_id IN (SELECT t.id FROM ${ctx.s}resources t WHERE t.type = ? AND NOT t.deleted AND (${inner.sql}))`,
      args: [type, type, ...inner.args],
    };
  });
  return joined(alias, `${ctx.s}sp_reference`, param, or(targets), mode, false);
}

/** OR of AND groups; when each group is one positive index condition, the union of their keys (one semi-join). */
function anySql(c: Extract<Condition, { kind: 'any' }>, alias: string, type: string, ctx: SearchContext, mode: Mode) {
  if (mode !== 'exists' && anyDrives(c)) {
    const selects = c.groups.map(([g]) =>
      g.kind === 'id' && g.ids.length > 0
        ? {
            sql: `SELECT pk AS resource_pk FROM ${ctx.s}resources WHERE type = ? AND id IN (${g.ids.map(() => '?').join(', ')})`,
            args: [type, ...g.ids],
          }
        : conditionSql(g, alias, type, ctx, 'select'),
    );
    const union: Sql = { sql: selects.map((s) => s.sql).join(' UNION ALL '), args: selects.flatMap((s) => s.args) };
    return mode === 'select' ? union : { sql: `${alias}.pk IN (${union.sql})`, args: union.args };
  }
  if (c.groups.length === 0) return mode === 'select' ? NOTHING : FALSE;
  return or(c.groups.map((g) => and(g.map((x) => conditionSql(x, alias, type, ctx, 'exists')))));
}

/** ORDER BY terms; a resource without a value sorts last either way; ties by key. */
export function sortSql(rules: SortRule[], type: string, ctx: SearchContext): Sql {
  const terms: string[] = [];
  const args: (string | number)[] = [];
  for (const { param, descending } of rules) {
    const dir = descending ? 'DESC' : 'ASC';
    if (param.column === 'id') terms.push(`r.id ${dir}`);
    else if (param.column === 'lastUpdated') terms.push(`r.last_updated ${dir}`);
    else {
      const test = paramTest(type, param.code, param.kind, ctx.ids);
      if (test === undefined) continue;
      const column = sortColumn(param.kind, descending);
      terms.push(
        `(SELECT ${descending ? 'max' : 'min'}(${column}) FROM ${ctx.s}${tableOf(param.kind)} WHERE resource_pk = r.pk AND ${test.sql}) ${dir} NULLS LAST`,
      );
      args.push(...test.args);
    }
  }
  terms.push('r.pk ASC');
  return { sql: terms.join(', '), args };
}

/** `?` placeholders as PostgreSQL's `$1…$n` (no `?` appears in our SQL text otherwise: values are always bound). */
export function numbered(sql: string, from = 0): string {
  let n = from;
  return sql.replace(/\?/g, () => `$${++n}`);
}
