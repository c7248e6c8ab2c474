import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openDataDir, privateFile, privateSqlite } from '../../core/private-files.js';
import { openSqlite, type SqliteKeys } from '../../core/sqlite-open.js';
import { migrateSqlite, type SqliteMigration } from '../../core/sqlite/migrations.js';
import type { OidcStateRecord, RegisteredClient, SecurityStore, StoredState, StoredUser } from './security-store.js';
import { type ClientRow, clientFromRow, clientValues, type UserRow, userFromRow, userValues } from './security-rows.js';

export const SECURITY_DB_FILE = 'security.sqlite';
export const KEYS_FILE = 'oauth-keys.json';

// Version 1 is the schema of the builds before versioned migrations (IF NOT EXISTS adopts their tables).
const MIGRATIONS: SqliteMigration[] = [
  {
    version: 1,
    description: 'OAuth clients, users and oidc-provider state',
    up: `
CREATE TABLE IF NOT EXISTS oauth_clients (
  client_id TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  role TEXT NOT NULL,
  jwks TEXT,
  jwks_uri TEXT,
  secret_hash TEXT,
  redirect_uris TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  fhir_user TEXT,
  patient TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oidc_state (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  user_code TEXT,
  uid TEXT,
  expires_at INTEGER,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_state_grant ON oidc_state (grant_id);
CREATE INDEX IF NOT EXISTS oidc_state_uid ON oidc_state (uid);
CREATE INDEX IF NOT EXISTS oidc_state_expiry ON oidc_state (expires_at);
`,
  },
];

/**
 * `security.sqlite` in the data folder, WAL, so the CLI can register a client while the server
 * runs and the server sees it on the next request; the keys stay in `oauth-keys.json` (0600).
 */
export function openSecurityDb(dataDir: string, keys?: SqliteKeys): SqliteSecurityStore {
  openDataDir(dataDir);
  const file = join(dataDir, SECURITY_DB_FILE);
  const db = openSqlite(file, keys);
  db.pragma('journal_mode = WAL');
  privateSqlite(file);
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db, 'security', MIGRATIONS);
  return new SqliteSecurityStore(db, dataDir);
}

/** Synchronous inside (better-sqlite3); the promises resolve after the commit. */
export class SqliteSecurityStore implements SecurityStore {
  private readonly byColumn: Record<'id' | 'uid' | 'userCode', Database.Statement>;

  constructor(
    readonly db: Database.Database,
    private readonly dataDir: string,
  ) {
    const find = (column: string) =>
      db.prepare(`SELECT payload, expires_at AS expiresAt FROM oidc_state WHERE model = ? AND ${column} = ?`);
    this.byColumn = { id: find('id'), uid: find('uid'), userCode: find('user_code') };
  }

  async addClient(c: RegisteredClient): Promise<boolean> {
    const r = this.db
      .prepare(
        `INSERT INTO oauth_clients (client_id, scope, role, jwks, jwks_uri, secret_hash, redirect_uris, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING`,
      )
      .run(...clientValues(c));
    return r.changes > 0;
  }

  async client(clientId: string): Promise<RegisteredClient | undefined> {
    const row = this.db.prepare('SELECT * FROM oauth_clients WHERE client_id = ?').get(clientId) as
      | ClientRow
      | undefined;
    return row && clientFromRow(row);
  }

  async clients(): Promise<RegisteredClient[]> {
    return (this.db.prepare('SELECT * FROM oauth_clients ORDER BY client_id').all() as ClientRow[]).map(clientFromRow);
  }

  async removeClient(clientId: string): Promise<boolean> {
    return this.db.transaction(() => {
      const removed = this.db.prepare('DELETE FROM oauth_clients WHERE client_id = ?').run(clientId).changes > 0;
      this.db.prepare("DELETE FROM oidc_state WHERE json_extract(payload, '$.clientId') = ?").run(clientId);
      return removed;
    })();
  }

  async addUser(u: StoredUser): Promise<boolean> {
    const r = this.db
      .prepare(
        `INSERT INTO users (username, password_hash, role, fhir_user, patient, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (username) DO NOTHING`,
      )
      .run(...userValues(u));
    return r.changes > 0;
  }

  async user(username: string): Promise<StoredUser | undefined> {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
    return row && userFromRow(row);
  }

  async users(): Promise<StoredUser[]> {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map(userFromRow);
  }

  async removeUser(username: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM users WHERE username = ?').run(username).changes > 0;
  }

  async saveState(r: OidcStateRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO oidc_state (model, id, payload, grant_id, user_code, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
      )
      .run(r.model, r.id, r.payload, r.grantId, r.userCode, r.uid, r.expiresAt);
  }

  async findState(model: string, by: 'id' | 'uid' | 'userCode', value: string): Promise<StoredState | undefined> {
    return this.byColumn[by].get(model, value) as StoredState | undefined;
  }

  async updateStatePayload(model: string, id: string, payload: string): Promise<void> {
    this.db.prepare('UPDATE oidc_state SET payload = ? WHERE model = ? AND id = ?').run(payload, model, id);
  }

  async destroyState(model: string, id: string): Promise<void> {
    this.db.prepare('DELETE FROM oidc_state WHERE model = ? AND id = ?').run(model, id);
  }

  async revokeGrant(grantId: string): Promise<void> {
    this.db.prepare('DELETE FROM oidc_state WHERE grant_id = ?').run(grantId);
  }

  async sweepState(now: number): Promise<void> {
    this.db.prepare('DELETE FROM oidc_state WHERE expires_at IS NOT NULL AND expires_at < ?').run(now);
  }

  async serverKeys(create: () => Promise<Buffer>): Promise<Buffer> {
    const file = join(this.dataDir, KEYS_FILE);
    if (existsSync(file)) {
      privateFile(file); // an installation from before private data directories
      return readFileSync(file);
    }
    const bytes = await create();
    try {
      writeFileSync(file, bytes, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file);
      throw e;
    }
    chmodSync(file, 0o600);
    return bytes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
