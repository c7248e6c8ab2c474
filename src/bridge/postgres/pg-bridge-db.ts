import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { PgStoreConnection } from '../../core/postgres/store-connection.js';

/**
 * The bridge stores' way into the archive schema. A query runs in the transaction the caller is
 * in (journal flush, quarantine decision), else on the pool: the journal's ops are plain calls of
 * the stores, as on SQLite, and PostgreSQL still commits them together.
 */
export class PgBridgeDb {
  private readonly current = new AsyncLocalStorage<pg.PoolClient>();

  constructor(readonly conn: PgStoreConnection) {}

  /** `schema.`, to prefix table names. */
  get t(): string {
    return `${this.conn.schema}.`;
  }

  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return (this.current.getStore() ?? this.conn.pool).query<R>(sql, params);
  }

  async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(sql, params)).rows;
  }

  /** `fn` in one transaction; inside one already, it joins that one (committed or rolled back with it). */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.current.getStore()) return fn();
    return this.conn.transaction((client) => this.current.run(client, fn));
  }

  /** The transaction the caller runs in, if any (tests). */
  get inTransaction(): boolean {
    return this.current.getStore() !== undefined;
  }
}
