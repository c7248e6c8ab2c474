import { keyConditions } from './key-conditions.js';
import { parseQuery, type ParsedQuery } from './query-params.js';
import { planReturn, type ReturnPlan } from './return-plan.js';
import { scopeConditions, searchSql } from './search-sql.js';
import type { SqlPart } from './sql-part.js';
import type { QidoRequest } from './types.js';

export interface CompiledSearch {
  query: ParsedQuery;
  plan: ReturnPlan;
  /** Page size after the server cap. */
  limit: number;
  /** Fetches limit + 1 rows: one more than the page tells whether the page is full. */
  statement: SqlPart;
}

/** A QIDO-RS request → the one SQL statement that answers it (throws QueryError on bad parameters). */
export function compileSearch(req: QidoRequest, maxResults: number): CompiledSearch {
  const query = parseQuery(req.query);
  const where = [
    ...scopeConditions(req),
    ...keyConditions(query.keys, {
      level: req.level,
      multipleValueMatching: query.multipleValueMatching,
      scoped: req.studyUid !== undefined || req.seriesUid !== undefined,
    }),
  ];
  const plan = planReturn(req.level, query);
  const limit = Math.min(query.limit ?? maxResults, maxResults);
  return { query, plan, limit, statement: searchSql(plan, where, limit + 1, query.offset) };
}
