import type { SearchResult } from '../repository/repository.js';
import type { IncludeRule, SearchRequest } from '../search/search-request.js';
import type { FhirResource } from '../types.js';
import { limitSql } from '../../core/sqlite-limit.js';
import type { Queryable } from './resource-store.js';
import { conditionSql, numbered, paramTest, type SearchContext, sortSql } from './search-sql.js';

/** At most this many resources are added by _include and _revinclude to one page. */
const MAX_INCLUDED = 1000;

interface Row {
  pk: number;
  type: string;
  id: string;
  json: string;
}

/**
 * Runs a parsed search: conditions and sort become one PostgreSQL statement over the index tables.
 * With a total, the count and the page go in that one statement (one round trip, one plan): the
 * count row LEFT JOINs the page, so a page past the end still answers its total (one row of NULLs).
 */
export async function runSearch(db: Queryable, req: SearchRequest, ctx: SearchContext): Promise<SearchResult> {
  const where = req.conditions.map((c) => conditionSql(c, 'r', req.resourceType, ctx));
  const from = `FROM ${ctx.s}resources r WHERE r.type = ? AND NOT r.deleted${where.map((w) => ` AND (${w.sql})`).join('')}`;
  const fromArgs = [req.resourceType, ...where.flatMap((w) => w.args)];
  const count = `SELECT count(*) AS n ${from}`;

  if (req.count === 0) {
    const total = req.total ? (await db.query<{ n: number }>(numbered(count), fromArgs)).rows[0].n : undefined;
    return { resources: [], total, included: [] };
  }
  const order = sortSql(req.sort, req.resourceType, ctx);
  const page = `SELECT r.pk, r.type, r.id, r.json ${from} ORDER BY ${order.sql} ${limitSql(req.count)} OFFSET ?`;
  const pageArgs = [...fromArgs, ...order.args, req.offset];
  let rows: Row[];
  let total: number | undefined;
  if (req.total) {
    const result = await db.query<Row & { n: number }>(
      numbered(`SELECT t.n, p.pk, p.type, p.id, p.json FROM (${count}) t LEFT JOIN LATERAL (${page}) p ON TRUE`),
      [...fromArgs, ...pageArgs],
    );
    total = result.rows[0].n;
    rows = result.rows.filter((r) => r.pk !== null);
  } else {
    rows = (await db.query<Row>(numbered(page), pageArgs)).rows;
  }
  const resources = rows.map((r) => JSON.parse(r.json) as FhirResource);
  const included = await includes(db, req, rows, ctx);
  return { resources, total, included };
}

/**
 * The pages of several searches (conditional interactions' matches), in one statement: each
 * request's page as runSearch selects it, tagged with its position, all in one UNION ALL (one
 * round trip instead of one per request). Requests with a total, _include/_revinclude or a sort
 * are run one by one (runSearch); only the pages are answered.
 */
export async function runSearches(
  db: Queryable,
  reqs: readonly SearchRequest[],
  ctx: SearchContext,
): Promise<FhirResource[][]> {
  const out: FhirResource[][] = reqs.map(() => []);
  const parts: string[] = [];
  const args: unknown[] = [];
  for (const [at, req] of reqs.entries()) {
    if (req.total || req.include.length || req.revinclude.length || req.sort.length) {
      out[at] = (await runSearch(db, req, ctx)).resources;
      continue;
    }
    if (req.count === 0) continue;
    const where = req.conditions.map((c) => conditionSql(c, 'r', req.resourceType, ctx));
    // `at` is our own index, an integer: written into the SQL text, as the limit is.
    parts.push(
      `(SELECT ${at} AS q, r.pk, r.json FROM ${ctx.s}resources r WHERE r.type = ? AND NOT r.deleted${where.map((w) => ` AND (${w.sql})`).join('')} ORDER BY r.pk ASC ${limitSql(req.count)} OFFSET ?)`,
    );
    args.push(req.resourceType, ...where.flatMap((w) => w.args), req.offset);
  }
  if (parts.length === 0) return out;
  // Each page in runSearch's order (no sort: by key), whatever order the branches come back in.
  const { rows } = await db.query<{ q: number; json: string }>(
    numbered(`${parts.join(' UNION ALL ')} ORDER BY q, pk`),
    args,
  );
  for (const row of rows) out[row.q]!.push(JSON.parse(row.json) as FhirResource);
  return out;
}

async function includes(db: Queryable, req: SearchRequest, page: Row[], ctx: SearchContext): Promise<FhirResource[]> {
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
  for (const rule of req.include) add(await forward(db, rule, page, ctx));
  for (const rule of req.revinclude) add(await reverse(db, rule, page, ctx));
  return out;
}

/** Resources the page's resources point to through `rule.param`. */
async function forward(db: Queryable, rule: IncludeRule, page: Row[], ctx: SearchContext): Promise<Row[]> {
  const param = paramTest(rule.param.resourceType, rule.param.code, 'reference', ctx.ids, 's.');
  if (param === undefined) return [];
  const typeTest = rule.targetType ? ' AND s.target_type = ?' : '';
  const { rows } = await db.query<Row>(
    numbered(`SELECT r.pk, r.type, r.id, r.json FROM ${ctx.s}sp_reference s
       JOIN ${ctx.s}resources r ON r.type = s.target_type AND r.id = s.target_id
     WHERE ${param.sql} AND s.resource_pk = ANY(?::bigint[])${typeTest} AND NOT r.deleted LIMIT ${MAX_INCLUDED}`),
    [...param.args, page.map((r) => r.pk), ...(rule.targetType ? [rule.targetType] : [])],
  );
  return rows;
}

/** Resources of `rule.param.resourceType` that point to the page's resources. */
async function reverse(db: Queryable, rule: IncludeRule, page: Row[], ctx: SearchContext): Promise<Row[]> {
  const param = paramTest(rule.param.resourceType, rule.param.code, 'reference', ctx.ids, 's.');
  if (param === undefined) return [];
  const targets = page.filter((r) => !rule.targetType || r.type === rule.targetType);
  if (targets.length === 0) return [];
  const { rows } = await db.query<Row>(
    numbered(`SELECT r.pk, r.type, r.id, r.json FROM ${ctx.s}resources r WHERE r.pk IN
       (SELECT s.resource_pk FROM ${ctx.s}sp_reference s
        WHERE ${param.sql} AND (s.target_id, s.target_type) IN (SELECT * FROM unnest(?::text[], ?::text[])))
     AND NOT r.deleted LIMIT ${MAX_INCLUDED}`),
    [...param.args, targets.map((r) => r.id), targets.map((r) => r.type)],
  );
  return rows;
}
