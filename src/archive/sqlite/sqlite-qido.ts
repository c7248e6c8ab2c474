import type { Database } from 'better-sqlite3';
import { keyConditions } from '../query/key-conditions.js';
import type { PreparedSearch, QidoBackend } from '../query/qido-backend.js';
import type { ResultRow } from '../query/render-dataset.js';
import { planSearch, type SearchPlan } from '../query/search-plan.js';
import { chunkParams, scopeConditions, searchSql } from '../query/search-sql.js';
import type { SqlPart } from '../query/sql-part.js';
import { StatementCache } from '../query/statement-cache.js';
import type { QidoRequest } from '../query/types.js';

/** QIDO-RS on the SQLite archive index: one prepared chunk statement per query shape. */
export class SqliteQidoBackend implements QidoBackend {
  private readonly statements: StatementCache;

  constructor(db: Database) {
    this.statements = new StatementCache(db);
    // Unicode case folding for PN attributes matched in stored JSON (SQLite's lower() is ASCII-only).
    db.function('qido_lower', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
  }

  prepare(search: SearchPlan): PreparedSearch {
    const statement = compileSqlite(search);
    const stmt = this.statements.get(statement.sql);
    return { rows: (bounds) => stmt.all(...chunkParams(statement, bounds)) as ResultRow[] };
  }
}

/** The SQLite chunk query of a search (see searchSql), run with chunkParams. */
export function compileSqlite(search: SearchPlan): SqlPart {
  const req = search.request;
  const where = [
    ...scopeConditions(req),
    ...keyConditions(search.query.keys, {
      level: req.level,
      multipleValueMatching: search.query.multipleValueMatching,
      scoped: req.studyUid !== undefined || req.seriesUid !== undefined,
    }),
  ];
  return searchSql(search.plan, where);
}

/** Parse → plan → SQLite statement in one step (tests that look at the SQL and its query plan). */
export function compileSearch(req: QidoRequest, maxResults = 0): SearchPlan & { statement: SqlPart } {
  const search = planSearch(req, maxResults);
  return { ...search, statement: compileSqlite(search) };
}
