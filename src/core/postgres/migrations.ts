import type pg from 'pg';
import { inTransaction } from './held-client.js';

/** One step of a store's schema; applied once, in order, never edited after a release. */
export interface Migration {
  version: number;
  description: string;
  /** Statements run in the migration's transaction (PostgreSQL DDL is transactional). */
  sql: string;
}

/** The database was migrated by a newer ImagingBridge: this one must not write to it. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly schema: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `PostgreSQL schema "${schema}" is at version ${found}, newer than this ImagingBridge knows (${supported}): ` +
        'run the newer ImagingBridge, or restore a backup made before its upgrade',
    );
    this.name = 'SchemaTooNewError';
  }
}

// One advisory lock for every migration run: instances starting together migrate one after another.
const MIGRATION_LOCK = 0x1b_da7a_0001;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A PostgreSQL schema name we create and interpolate into SQL: lower-case letters, digits, `_`. */
export function checkSchemaName(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a valid schema name ([a-z_][a-z0-9_]*, ≤ 63)`);
  return name;
}

/**
 * Brings `schema` to the newest of `migrations` in one transaction, under an advisory lock so
 * that several instances starting at once do it once. Refuses (SchemaTooNewError) a schema
 * whose recorded version is above the newest known. Returns the version now in force.
 */
export async function migrate(pool: pg.Pool, schema: string, migrations: readonly Migration[]): Promise<number> {
  checkSchemaName(schema);
  const newest = migrations.reduce((n, m) => Math.max(n, m.version), 0);
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
         version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${schema}.schema_migrations`,
    );
    const current = rows[0].v ?? 0;
    if (current > newest) throw new SchemaTooNewError(schema, current, newest);
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${schema}.schema_migrations(version, description) VALUES ($1, $2)`, [
        m.version,
        m.description,
      ]);
    }
    return Math.max(current, newest);
  });
}

/**
 * For a read-only open (no migration may run): the schema must exist at exactly the newest
 * version of `migrations`. Refuses a newer one (SchemaTooNewError) and an older one (its tables
 * may lack what this version reads) with a message saying what to do; `what` names the store.
 */
export async function checkSchemaCurrent(
  pool: pg.Pool,
  schema: string,
  migrations: readonly Migration[],
  what: string,
): Promise<void> {
  checkSchemaName(schema);
  const newest = migrations.reduce((n, m) => Math.max(n, m.version), 0);
  const { rows: found } = await pool.query('SELECT to_regclass($1) AS t', [`${schema}.schema_migrations`]);
  if (!found[0]?.t) throw new Error(`no ${what} in PostgreSQL schema "${schema}"`);
  const { rows } = await pool.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${schema}.schema_migrations`);
  const current = rows[0]?.v ?? 0;
  if (current > newest) throw new SchemaTooNewError(schema, current, newest);
  if (current < newest)
    throw new Error(
      `PostgreSQL schema "${schema}" is at version ${current}, older than this ImagingBridge reads (${newest}): start this version's server once to migrate it, or use the ImagingBridge that wrote it`,
    );
}
