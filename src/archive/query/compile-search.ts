import { keyConditions } from './key-conditions.js';
import { parseQuery, type ParsedQuery } from './query-params.js';
import { planReturn, type ReturnPlan } from './return-plan.js';
import { scopeConditions, searchSql } from './search-sql.js';
import type { SqlPart } from './sql-part.js';
import type { QidoRequest } from './types.js';

export interface CompiledSearch {
  query: ParsedQuery;
  plan: ReturnPlan;
  /** Results to send at most: the client's limit and the server cap (0 = none); undefined = all. */
  limit?: number;
  /** The chunk query (see searchSql): run with chunkParams. */
  statement: SqlPart;
}

/** A QIDO-RS request → the SQL statement that answers it chunk by chunk (throws QueryError on bad parameters). */
export function compileSearch(req: QidoRequest, maxResults = 0): CompiledSearch {
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
  const limits = [query.limit, maxResults > 0 ? maxResults : undefined].filter((n) => n !== undefined);
  const limit = limits.length > 0 ? Math.min(...limits) : undefined;
  return { query, plan, limit, statement: searchSql(plan, where) };
}
