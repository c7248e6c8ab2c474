import type Database from 'better-sqlite3';
import type { SearchResult } from '../repository/repository.js';
import type { Condition, IncludeRule, SearchRequest } from '../search/search-request.js';
import type { FhirResource } from '../types.js';
import { limitSql } from '../../core/sqlite-limit.js';
import { conditionSql, indexDriven, paramTest, sortSql, type ParamIds } from './search-sql.js';

/**
 * Prepared statements by SQL text: a search shape repeats (the values are bound), and
 * preparing costs more than running the small queries behind a patient context.
 */
const STATEMENTS = new WeakMap<Database.Database, Map<string, Database.Statement>>();
const MAX_STATEMENTS = 500;

function prepared(db: Database.Database, sql: string): Database.Statement {
  let cache = STATEMENTS.get(db);
  if (!cache) STATEMENTS.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) {
    if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
    stmt = db.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}

/** At most this many resources are added by _include and _revinclude to one page. */
const MAX_INCLUDED = 1000;

interface Row {
  pk: number;
  type: string;
  id: string;
  json: string;
}

/** Runs a parsed search: conditions and sort become SQL over the index tables. */
export function runSearch(db: Database.Database, req: SearchRequest, ids: ParamIds, now: number): SearchResult {
  const where: string[] = [];
  const args: (string | number | null)[] = [];
  const driver = pickDriver(db, req, ids, now);
  for (const c of req.conditions) {
    const s = conditionSql(c, 'r', req.resourceType, ids, now, c === driver ? 'in' : 'exists');
    where.push(s.sql);
    args.push(...s.args);
  }
  // With an index condition driving, keep SQLite from walking every row of the type instead.
  const from = `FROM resources r WHERE ${driver ? '+' : ''}r.type = ? AND r.deleted = 0${where.map((w) => ` AND (${w})`).join('')}`;
  const fromArgs = [req.resourceType, ...args];

  const total = req.total
    ? (prepared(db, `SELECT count(*) AS n ${from}`).get(...fromArgs) as { n: number }).n
    : undefined;
  if (req.count === 0) return { resources: [], total, included: [] };

  const order = sortSql(req.sort, req.resourceType, ids);
  const rows = prepared(
    db,
    `SELECT r.pk, r.type, r.id, r.json ${from} ORDER BY ${order.sql} ${limitSql(req.count)} OFFSET ?`,
  ).all(...fromArgs, ...order.args, req.offset) as Row[];
  const resources = rows.map((r) => JSON.parse(r.json) as FhirResource);
  const included = includes(db, req, rows, ids);
  return { resources, total, included };
}

/**
 * The condition whose index rows collect the candidates; the others check each candidate.
 * With several, the one with the fewest matching index rows (counted up to a cap) is chosen.
 */
function pickDriver(db: Database.Database, req: SearchRequest, ids: ParamIds, now: number): Condition | undefined {
  const drivable = req.conditions.filter(indexDriven);
  if (drivable.length <= 1) return drivable[0];
  let best: { c: Condition; n: number } | undefined;
  for (const c of drivable) {
    const q = conditionSql(c, 'r', req.resourceType, ids, now, 'count');
    const n = (prepared(db, q.sql).get(...q.args) as { n: number }).n;
    if (!best || n < best.n) best = { c, n };
    if (n === 0) break;
  }
  return best!.c;
}

function includes(db: Database.Database, req: SearchRequest, page: Row[], ids: ParamIds): FhirResource[] {
  if (page.length === 0 || (req.include.length === 0 && req.revinclude.length === 0)) return [];
  const seen = new Set(page.map((r) => r.pk));
  const out: FhirResource[] = [];
  const add = (rows: Row[]) => {
    for (const r of rows) {
      if (seen.has(r.pk) || out.length >= MAX_INCLUDED) continue;
      seen.add(r.pk);
      out.push(JSON.parse(r.json) as FhirResource);
    }
  };
  const pks = page.map((r) => r.pk);
  for (const rule of req.include) add(forward(db, rule, pks, ids));
  for (const rule of req.revinclude) add(reverse(db, rule, page, ids));
  return out;
}

/** Resources the page's resources point to through `rule.param`. */
function forward(db: Database.Database, rule: IncludeRule, pks: number[], ids: ParamIds): Row[] {
  const param = paramTest(rule.param.resourceType, rule.param.code, 'reference', ids, 's.');
  if (param === undefined) return [];
  const typeTest = rule.targetType ? ' AND s.target_type = ?' : '';
  return prepared(
    db,
    `SELECT r.pk, r.type, r.id, r.json FROM sp_reference s JOIN resources r ON r.type = s.target_type AND r.id = s.target_id
       WHERE ${param.sql} AND s.resource_pk IN (${pks.map(() => '?').join(',')})${typeTest} AND r.deleted = 0 LIMIT ${MAX_INCLUDED}`,
  ).all(...param.args, ...pks, ...(rule.targetType ? [rule.targetType] : [])) as Row[];
}

/** Resources of `rule.param.resourceType` that point to the page's resources. */
function reverse(db: Database.Database, rule: IncludeRule, page: Row[], ids: ParamIds): Row[] {
  const param = paramTest(rule.param.resourceType, rule.param.code, 'reference', ids, 's.');
  if (param === undefined) return [];
  const targets = page.filter((r) => !rule.targetType || r.type === rule.targetType);
  if (targets.length === 0) return [];
  const tests = targets.map(() => '(s.target_id = ? AND s.target_type = ?)').join(' OR ');
  return prepared(
    db,
    `SELECT r.pk, r.type, r.id, r.json FROM resources r WHERE r.pk IN
       (SELECT s.resource_pk FROM sp_reference s WHERE ${param.sql} AND (${tests})) AND r.deleted = 0 LIMIT ${MAX_INCLUDED}`,
  ).all(...param.args, ...targets.flatMap((r) => [r.id, r.type])) as Row[];
}
