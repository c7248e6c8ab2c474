import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { PgStoreConnection } from '../../core/postgres/store-connection.js';
import { type BatchKind, PgWriteBatch } from './pg-write-batch.js';

interface Scope {
  client: pg.PoolClient;
  /** In a batched transaction (batched()): the writes kept for one statement per kind. */
  batch?: PgWriteBatch;
}

/**
 * The bridge stores' way into the archive schema. A query runs in the transaction the caller is
 * in (journal flush, quarantine decision), else on the pool: the journal's ops are plain calls of
 * the stores, as on SQLite, and PostgreSQL still commits them together. In the journal's batched
 * transaction the stores' writes are kept and run as one statement per kind (pg-write-batch.ts).
 */
export class PgBridgeDb {
  private readonly current = new AsyncLocalStorage<Scope>();

  constructor(readonly conn: PgStoreConnection) {}

  /** `schema.`, to prefix table names. */
  get t(): string {
    return `${this.conn.schema}.`;
  }

  /** In a batched transaction the kept writes run first, so the statement sees them. */
  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    const scope = this.current.getStore();
    if (!scope) return this.conn.pool.query<R>(sql, params);
    if (scope.batch?.pending) await scope.batch.run((s, p) => scope.client.query(s, p));
    return scope.client.query<R>(sql, params);
  }

  async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(sql, params)).rows;
  }

  /** `fn` in one transaction; inside one already, it joins that one (committed or rolled back with it). */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.current.getStore()) return fn();
    return this.conn.transaction((client) => this.current.run({ client }, fn));
  }

  /**
   * `fn` in one transaction whose writes the stores hand to a batch (defer): they run as one
   * statement per kind before the next other statement and before the commit. Inside a
   * transaction already, it joins that one (batched or not). `begin`: what opens it (e.g.
   * 'BEGIN; SET LOCAL …', one round trip).
   */
  async batched<T>(fn: () => Promise<T>, begin?: string): Promise<T> {
    if (this.current.getStore()) return fn();
    return this.conn.transaction((client) => {
      const scope: Scope = { client, batch: new PgWriteBatch() };
      return this.current.run(scope, async () => {
        const result = await fn();
        await scope.batch!.run((s, p) => client.query(s, p));
        return result;
      });
    }, begin);
  }

  /**
   * Keeps a write for its kind's statement when the caller is in a batched transaction (true);
   * false: the caller writes it now.
   */
  defer<T>(kind: BatchKind<T>, key: string, item: T): boolean {
    const batch = this.current.getStore()?.batch;
    if (!batch) return false;
    batch.add(kind, key, item);
    return true;
  }

  /** The transaction the caller runs in, if any (tests). */
  get inTransaction(): boolean {
    return this.current.getStore() !== undefined;
  }
}
