import type Database from 'better-sqlite3';

/**
 * One step of a store's schema in a SQLite database; applied once, in order, never edited after
 * a release. `up` is SQL, or a function for a step that must look at what is there first (a
 * column an older build added without a recorded version).
 */
export interface SqliteMigration {
  version: number;
  description: string;
  up: string | ((db: Database.Database) => void);
}

/** The database was migrated by a newer ImagingBridge: this one must not write to it. */
export class SqliteSchemaTooNewError extends Error {
  constructor(
    readonly store: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `SQLite store "${store}" is at schema version ${found}, newer than this ImagingBridge knows (${supported}): ` +
        'run the newer ImagingBridge, or restore a backup made before its upgrade',
    );
    this.name = 'SqliteSchemaTooNewError';
  }
}

const STORE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Brings `store`'s tables in `db` to the newest of `migrations`. Several stores share one file
 * (the archive database), so versions are recorded per store in `schema_migrations(store,
 * version)`. One IMMEDIATE transaction: a CLI and a server opening the file together migrate
 * once, and a failed step leaves nothing half-applied. Refuses (SqliteSchemaTooNewError) a
 * recorded version above the newest known, before anything is written. Returns the version in force.
 */
export function migrateSqlite(db: Database.Database, store: string, migrations: readonly SqliteMigration[]): number {
  if (!STORE_NAME.test(store)) throw new Error(`"${store}" is not a valid store name ([a-z][a-z0-9_]*)`);
  const newest = migrations.reduce((n, m) => Math.max(n, m.version), 0);
  const run = db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         store TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL,
         PRIMARY KEY (store, version))`,
    );
    const { v } = db.prepare('SELECT max(version) AS v FROM schema_migrations WHERE store = ?').get(store) as {
      v: number | null;
    };
    const current = v ?? 0;
    if (current > newest) throw new SqliteSchemaTooNewError(store, current, newest);
    const record = db.prepare(
      'INSERT INTO schema_migrations(store, version, description, applied_at) VALUES (?, ?, ?, ?)',
    );
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      record.run(store, m.version, m.description, new Date().toISOString());
    }
    return Math.max(current, newest);
  });
  return run.immediate();
}

/** True when `table` has `column` (for steps that adopt a column an unversioned build added). */
export function hasColumn(db: Database.Database, table: string, column: string): boolean {
  return (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).some(
    (c) => c.name === column,
  );
}
