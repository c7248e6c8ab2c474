import type { SqlDialect } from './dialect.js';
import { keyConditions } from './key-conditions.js';
import type { SearchPlan } from './search-plan.js';
import { scopeConditions, searchSql } from './search-sql.js';
import type { SqlPart } from './sql-part.js';

/** The chunk query of a search in a dialect (see searchSql): `?` placeholders and the bounds by name. */
export function compileSearchSql(search: SearchPlan, dialect: SqlDialect): SqlPart {
  const req = search.request;
  const where = [
    ...scopeConditions(req),
    ...keyConditions(search.query.keys, {
      level: req.level,
      multipleValueMatching: search.query.multipleValueMatching,
      scoped: req.studyUid !== undefined || req.seriesUid !== undefined,
      dialect,
    }),
  ];
  return searchSql(search.plan, where, dialect);
}
