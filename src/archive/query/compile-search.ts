import type { SqlDialect, TextSqlDialect } from './dialect.js';
import { keyConditions } from './key-conditions.js';
import type { SearchPlan } from './search-plan.js';
import { packedSearchSql, scopeConditions, searchSql, textSearchSql } from './search-sql.js';
import type { SqlPart } from './sql-part.js';

/** The chunk query of a search in a dialect (see searchSql): `?` placeholders and the bounds by name. */
export function compileSearchSql(search: SearchPlan, dialect: SqlDialect): SqlPart {
  return searchSql(search.plan, whereOf(search, dialect), dialect);
}

/** The chunk query of a search with its result values packed into one column (see packedSearchSql). */
export function compilePackedSearchSql(
  search: SearchPlan,
  dialect: SqlDialect,
  pack: (columns: string[]) => string,
): SqlPart {
  return packedSearchSql(search.plan, whereOf(search, dialect), pack, dialect);
}

/** The chunk query of a search whose results the database writes as text (see textSearchSql); undefined if it cannot. */
export function compileTextSearchSql(
  search: SearchPlan,
  dicomWebBase: string,
  dialect: TextSqlDialect,
): SqlPart | undefined {
  return textSearchSql(search.plan, whereOf(search, dialect), dicomWebBase, dialect);
}

function whereOf(search: SearchPlan, dialect: SqlDialect): SqlPart[] {
  const req = search.request;
  return [
    ...scopeConditions(req),
    ...keyConditions(search.query.keys, {
      level: req.level,
      multipleValueMatching: search.query.multipleValueMatching,
      scoped: req.studyUid !== undefined || req.seriesUid !== undefined,
      dialect,
    }),
  ];
}
