import { parseQuery, type ParsedQuery } from './query-params.js';
import { planReturn, type ReturnPlan } from './return-plan.js';
import type { QidoRequest } from './types.js';

/**
 * A QIDO-RS request checked and planned, independent of the database: the matching keys
 * (query.keys, with the path scope in `request`), what each result returns, and how many
 * results to send. A backend compiles it (QidoBackend.prepare); the service renders the rows.
 */
export interface SearchPlan {
  request: QidoRequest;
  query: ParsedQuery;
  plan: ReturnPlan;
  /** Results to send at most: the client's limit and the server cap (0 = none); undefined = all. */
  limit?: number;
}

/** Parse → plan (throws QueryError on bad parameters). */
export function planSearch(req: QidoRequest, maxResults = 0): SearchPlan {
  const query = parseQuery(req.query);
  const plan = planReturn(req.level, query);
  const limits = [query.limit, maxResults > 0 ? maxResults : undefined].filter((n) => n !== undefined);
  const limit = limits.length > 0 ? Math.min(...limits) : undefined;
  return { request: req, query, plan, ...(limit !== undefined ? { limit } : {}) };
}
