import type pg from 'pg';
import { inTransaction } from './held-client.js';
import { checkSchemaName, type Migration, migrate } from './migrations.js';
import { openPool } from './pool.js';

/**
 * What a small PostgreSQL store holds: a pool (its own when opened from a URL, else shared and
 * left open by close()) and the schema its tables live in.
 */
export class PgStoreConnection {
  private constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
    private readonly ownsPool: boolean,
  ) {}

  /** Connects and brings `schema` to the newest of `migrations(schema)` (refusing a newer one). */
  static async open(
    connection: string | pg.Pool,
    schema: string,
    migrations: (schema: string) => Migration[],
  ): Promise<PgStoreConnection> {
    checkSchemaName(schema);
    const owns = typeof connection === 'string';
    const pool = owns ? openPool(connection, { max: 4 }) : connection;
    try {
      await migrate(pool, schema, migrations(schema));
    } catch (e) {
      if (owns) await pool.end();
      throw e;
    }
    return new PgStoreConnection(pool, schema, owns);
  }

  /**
   * `fn` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws. `begin`: what opens it (e.g. 'BEGIN; SET LOCAL …': one round trip).
   */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    return inTransaction(this.pool, fn, begin);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  /** Tests: removes the schema and everything in it. */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }
}

/** `fn` in one transaction on one connection of a pool (held-client.ts). */
export { inTransaction };
