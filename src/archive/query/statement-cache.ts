import type { Database, Statement } from 'better-sqlite3';

/** Prepared statements by SQL text. The set of texts is bounded by the query shapes; the cap is a safety net. */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly capacity = 256,
  ) {}

  get(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (stmt) {
      // Refresh recency: Map iteration order is insertion order.
      this.statements.delete(sql);
    } else {
      stmt = this.db.prepare(sql);
      if (this.statements.size >= this.capacity) this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }

  get size(): number {
    return this.statements.size;
  }
}
