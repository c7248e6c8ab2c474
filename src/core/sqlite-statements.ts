import type Database from 'better-sqlite3';

const CACHE = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * The statement for a fixed SQL text, prepared once per connection: the bridge's per-study
 * queries cost more to prepare than to run (ingest profile, docs/ingest-cpu.md). Only for
 * constant SQL texts (values are bound), so the cache stays as small as the code's set of queries.
 */
export function preparedOnce(db: Database.Database, sql: string): Database.Statement {
  let statements = CACHE.get(db);
  if (!statements) CACHE.set(db, (statements = new Map()));
  let statement = statements.get(sql);
  if (!statement) statements.set(sql, (statement = db.prepare(sql)));
  return statement;
}
