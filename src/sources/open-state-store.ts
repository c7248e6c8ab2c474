import type Database from 'better-sqlite3';
import { redactUrl } from '../core/postgres/pool.js';
import { PgSourceStateStore } from './pg-state-store.js';
import { SqliteSourceStateStore } from './sqlite-state-store.js';
import type { SourceStateStore } from './state-store.js';

/**
 * The sources' state where the configuration puts it: PostgreSQL (schema `sources`) when
 * `database` is a postgres:// URL, else the archive database (required then). close() ends only
 * what it opened.
 */
export async function openSourceStateStore(
  database: string | undefined,
  archiveDb: Database.Database | undefined,
): Promise<{ store: SourceStateStore; close(): Promise<void> }> {
  if (database) {
    const store = await PgSourceStateStore.open(database).catch((e: Error) => {
      throw new Error(`cannot open the sources' state in PostgreSQL at ${redactUrl(database)}: ${e.message}`, {
        cause: e,
      });
    });
    return { store, close: () => store.close() };
  }
  if (!archiveDb) throw new Error("the sources' state: no --database and no archive database given");
  return { store: new SqliteSourceStateStore(archiveDb), close: async () => undefined };
}
