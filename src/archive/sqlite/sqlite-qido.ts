import type { Database } from 'better-sqlite3';
import { compileSearchSql, compileTextSearchSql } from '../query/compile-search.js';
import { SQLITE_DIALECT } from '../query/dialect.js';
import type { PreparedSearch, PreparedSearchText, QidoBackend, TextRow } from '../query/qido-backend.js';
import { personName, type ResultRow } from '../query/render-dataset.js';
import { planSearch, type SearchPlan } from '../query/search-plan.js';
import { chunkParams } from '../query/search-sql.js';
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
    // A multi-group PN as its DICOM JSON object (render-sql.ts writes one-group names itself).
    db.function('qido_pn_json', { deterministic: true }, (s: unknown) => JSON.stringify(personName(String(s))));
  }

  prepare(search: SearchPlan): PreparedSearch {
    const statement = compileSqlite(search);
    const stmt = this.statements.get(statement.sql);
    return { rows: async (bounds) => stmt.all(...chunkParams(statement, bounds)) as ResultRow[] };
  }

  prepareText(search: SearchPlan, dicomWebBase: string): PreparedSearchText | undefined {
    const statement = compileTextSearchSql(search, dicomWebBase, SQLITE_DIALECT);
    if (!statement) return undefined;
    const stmt = this.statements.get(statement.sql);
    // Raw rows: [text, pk] arrays, no object per row.
    return { rows: async (bounds) => stmt.raw(true).all(...chunkParams(statement, bounds)) as TextRow[] };
  }
}

/** The SQLite chunk query of a search (see searchSql), run with chunkParams. */
export const compileSqlite = (search: SearchPlan): SqlPart => compileSearchSql(search, SQLITE_DIALECT);

/** Parse → plan → SQLite statement in one step (tests that look at the SQL and its query plan). */
export function compileSearch(req: QidoRequest, maxResults = 0): SearchPlan & { statement: SqlPart } {
  const search = planSearch(req, maxResults);
  return { ...search, statement: compileSqlite(search) };
}
