import type { SqliteKeys } from '../../core/sqlite-open.js';
import { redactUrl } from '../../core/postgres/pool.js';
import { PgSecurityStore } from './pg-security-store.js';
import type { SecurityStore } from './security-store.js';
import { openSecurityDb } from './sqlite-security-store.js';

/**
 * The security stores where the configuration puts them: PostgreSQL (schema `security`) when
 * `database` is a postgres:// URL, else `security.sqlite` and `oauth-keys.json` in the data folder.
 */
export async function openSecurityStore(
  database: string | undefined,
  dataDir: string,
  sqliteKeys?: SqliteKeys,
): Promise<SecurityStore> {
  if (!database) return openSecurityDb(dataDir, sqliteKeys);
  return PgSecurityStore.open(database).catch((e: Error) => {
    throw new Error(`cannot open the security store in PostgreSQL at ${redactUrl(database)}: ${e.message}`, {
      cause: e,
    });
  });
}
