import type pg from 'pg';
import type { Migration } from '../../core/postgres/migrations.js';
import { PgStoreConnection } from '../../core/postgres/store-connection.js';
import { type ClientRow, clientFromRow, clientValues, type UserRow, userFromRow, userValues } from './security-rows.js';
import type { OidcStateRecord, RegisteredClient, SecurityStore, StoredState, StoredUser } from './security-store.js';

export function securityMigrations(schema: string): Migration[] {
  const s = `${schema}.`;
  const C = 'text COLLATE "C"';
  return [
    {
      version: 1,
      description: 'OAuth clients, users, oidc-provider state and the server keys',
      sql: `
CREATE TABLE ${s}oauth_clients (
  client_id ${C} PRIMARY KEY,
  scope text NOT NULL,
  role text NOT NULL,
  jwks text,
  jwks_uri text,
  secret_hash text,
  redirect_uris text NOT NULL DEFAULT '[]',
  created_at text NOT NULL
);
CREATE TABLE ${s}users (
  username ${C} PRIMARY KEY,
  password_hash text NOT NULL,
  role text NOT NULL,
  fhir_user text,
  patient text,
  created_at text NOT NULL
);
CREATE TABLE ${s}oidc_state (
  model ${C} NOT NULL,
  id ${C} NOT NULL,
  payload jsonb NOT NULL,
  grant_id ${C},
  user_code ${C},
  uid ${C},
  expires_at bigint,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_state_grant ON ${s}oidc_state (grant_id);
CREATE INDEX oidc_state_uid ON ${s}oidc_state (model, uid);
CREATE INDEX oidc_state_user_code ON ${s}oidc_state (model, user_code);
CREATE INDEX oidc_state_expiry ON ${s}oidc_state (expires_at);
CREATE INDEX oidc_state_client ON ${s}oidc_state ((payload->>'clientId'));
-- One row: the signing and cookie keys every instance uses (a token one signs, another verifies).
CREATE TABLE ${s}server_keys (id integer PRIMARY KEY CHECK (id = 1), value bytea NOT NULL);
`,
    },
  ];
}

const COLUMN = { id: 'id', uid: 'uid', userCode: 'user_code' } as const;

/**
 * The security stores (security-store.ts) in PostgreSQL, schema `security` by default, shared
 * by every instance: a client registered or a user removed on one is seen by all at their next
 * request; a sign-in started on one may finish on another.
 */
export class PgSecurityStore implements SecurityStore {
  private constructor(private readonly c: PgStoreConnection) {}

  static async open(connection: string | pg.Pool, options: { schema?: string } = {}): Promise<PgSecurityStore> {
    return new PgSecurityStore(
      await PgStoreConnection.open(connection, options.schema ?? 'security', securityMigrations),
    );
  }

  private get s(): string {
    return this.c.schema;
  }

  async addClient(client: RegisteredClient): Promise<boolean> {
    const r = await this.c.pool.query(
      `INSERT INTO ${this.s}.oauth_clients (client_id, scope, role, jwks, jwks_uri, secret_hash, redirect_uris, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (client_id) DO NOTHING`,
      clientValues(client),
    );
    return (r.rowCount ?? 0) > 0;
  }

  async client(clientId: string): Promise<RegisteredClient | undefined> {
    const { rows } = await this.c.pool.query<ClientRow>(`SELECT * FROM ${this.s}.oauth_clients WHERE client_id = $1`, [
      clientId,
    ]);
    return rows[0] && clientFromRow(rows[0]);
  }

  async clients(): Promise<RegisteredClient[]> {
    const { rows } = await this.c.pool.query<ClientRow>(`SELECT * FROM ${this.s}.oauth_clients ORDER BY client_id`);
    return rows.map(clientFromRow);
  }

  removeClient(clientId: string): Promise<boolean> {
    return this.c.transaction(async (db) => {
      const r = await db.query(`DELETE FROM ${this.s}.oauth_clients WHERE client_id = $1`, [clientId]);
      await db.query(`DELETE FROM ${this.s}.oidc_state WHERE payload->>'clientId' = $1`, [clientId]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  async addUser(user: StoredUser): Promise<boolean> {
    const r = await this.c.pool.query(
      `INSERT INTO ${this.s}.users (username, password_hash, role, fhir_user, patient, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING`,
      userValues(user),
    );
    return (r.rowCount ?? 0) > 0;
  }

  async user(username: string): Promise<StoredUser | undefined> {
    const { rows } = await this.c.pool.query<UserRow>(`SELECT * FROM ${this.s}.users WHERE username = $1`, [username]);
    return rows[0] && userFromRow(rows[0]);
  }

  async users(): Promise<StoredUser[]> {
    const { rows } = await this.c.pool.query<UserRow>(`SELECT * FROM ${this.s}.users ORDER BY username`);
    return rows.map(userFromRow);
  }

  async removeUser(username: string): Promise<boolean> {
    const r = await this.c.pool.query(`DELETE FROM ${this.s}.users WHERE username = $1`, [username]);
    return (r.rowCount ?? 0) > 0;
  }

  async saveState(r: OidcStateRecord): Promise<void> {
    await this.c.pool.query(
      `INSERT INTO ${this.s}.oidc_state (model, id, payload, grant_id, user_code, uid, expires_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
      [r.model, r.id, r.payload, r.grantId, r.userCode, r.uid, r.expiresAt],
    );
  }

  async findState(model: string, by: 'id' | 'uid' | 'userCode', value: string): Promise<StoredState | undefined> {
    const { rows } = await this.c.pool.query<StoredState>(
      `SELECT payload::text AS payload, expires_at AS "expiresAt" FROM ${this.s}.oidc_state
       WHERE model = $1 AND ${COLUMN[by]} = $2`,
      [model, value],
    );
    return rows[0];
  }

  async updateStatePayload(model: string, id: string, payload: string): Promise<void> {
    await this.c.pool.query(`UPDATE ${this.s}.oidc_state SET payload = $3::jsonb WHERE model = $1 AND id = $2`, [
      model,
      id,
      payload,
    ]);
  }

  async destroyState(model: string, id: string): Promise<void> {
    await this.c.pool.query(`DELETE FROM ${this.s}.oidc_state WHERE model = $1 AND id = $2`, [model, id]);
  }

  async revokeGrant(grantId: string): Promise<void> {
    await this.c.pool.query(`DELETE FROM ${this.s}.oidc_state WHERE grant_id = $1`, [grantId]);
  }

  async sweepState(now: number): Promise<void> {
    await this.c.pool.query(`DELETE FROM ${this.s}.oidc_state WHERE expires_at IS NOT NULL AND expires_at < $1`, [now]);
  }

  async serverKeys(create: () => Promise<Buffer>): Promise<Buffer> {
    const read = async () =>
      (await this.c.pool.query<{ value: Buffer }>(`SELECT value FROM ${this.s}.server_keys WHERE id = 1`)).rows[0]
        ?.value;
    const stored = await read();
    if (stored) return stored;
    // Several instances starting together: the first INSERT wins, the others read what it stored.
    await this.c.pool.query(
      `INSERT INTO ${this.s}.server_keys (id, value) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
      [await create()],
    );
    return (await read())!;
  }

  close(): Promise<void> {
    return this.c.close();
  }

  /** Tests: removes the schema and everything in it. */
  dropSchema(): Promise<void> {
    return this.c.dropSchema();
  }
}
