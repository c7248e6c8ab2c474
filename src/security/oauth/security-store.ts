import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite, type SqliteKeys } from '../../core/sqlite-open.js';
import { openDataDir, privateSqlite } from '../../core/private-files.js';

/**
 * `security.sqlite` in the data folder: registered clients, users and the authorization server's
 * short-lived state (sessions, codes, replay detection). WAL, so the CLI can register a client
 * while the server runs and the server sees it on the next request.
 */
export type SecurityDb = Database.Database;

export const SECURITY_DB_FILE = 'security.sqlite';

const SCHEMA = `
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
`;

export function openSecurityDb(dataDir: string, keys?: SqliteKeys): SecurityDb {
  openDataDir(dataDir);
  const file = join(dataDir, SECURITY_DB_FILE);
  const db = openSqlite(file, keys);
  db.pragma('journal_mode = WAL');
  privateSqlite(file);
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}
