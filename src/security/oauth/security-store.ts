import type { RegisteredClient } from './client-store.js';
import type { User } from './user-store.js';

/**
 * What the authorization server keeps: registered clients, users, oidc-provider's short-lived
 * state (sessions, interactions, codes, grants, replay detection) and its own keys.
 * Implementations: SQLite (`security.sqlite` + `oauth-keys.json` in the data folder,
 * sqlite-security-store.ts) and PostgreSQL (schema `security`, pg-security-store.ts); both pass
 * `securityStoreSuite` (security-test-support.ts). Validation is not the store's business
 * (ClientStore, UserStore); the store keeps what it is given.
 */
export interface SecurityStore {
  /** Stores a client; false (nothing written) when its id is taken. */
  addClient(client: RegisteredClient): Promise<boolean>;
  client(clientId: string): Promise<RegisteredClient | undefined>;
  /** Every client, by id. */
  clients(): Promise<RegisteredClient[]>;
  /** True when a client was removed; its oidc-provider state (grants, codes, sessions of it) goes too. */
  removeClient(clientId: string): Promise<boolean>;

  /** Stores a user; false (nothing written) when the name is taken. */
  addUser(user: StoredUser): Promise<boolean>;
  user(username: string): Promise<StoredUser | undefined>;
  /** Every user, by name. */
  users(): Promise<StoredUser[]>;
  removeUser(username: string): Promise<boolean>;

  /** Inserts or replaces one oidc-provider record. */
  saveState(record: OidcStateRecord): Promise<void>;
  /** The record of `model` whose id, uid or userCode is `value` — expired ones included (the caller decides). */
  findState(model: string, by: 'id' | 'uid' | 'userCode', value: string): Promise<StoredState | undefined>;
  /** Replaces the payload of an existing record (oidc-provider's consume); nothing when it is gone. */
  updateStatePayload(model: string, id: string, payload: string): Promise<void>;
  destroyState(model: string, id: string): Promise<void>;
  /** Every record of every model belonging to the grant. */
  revokeGrant(grantId: string): Promise<void>;
  /** Removes records that expired before `now` (epoch ms). */
  sweepState(now: number): Promise<void>;

  /**
   * The server's keys as stored (sealed or plain JSON bytes), or, when there are none yet, the
   * result of `create()` stored — by whichever process stores first: every caller gets the same.
   */
  serverKeys(create: () => Promise<Buffer>): Promise<Buffer>;

  close(): Promise<void>;
}

export interface StoredUser extends User {
  /** scrypt hash (password-hash.ts). */
  passwordHash: string;
}

export interface OidcStateRecord {
  model: string;
  id: string;
  /** oidc-provider's payload, JSON. */
  payload: string;
  grantId: string | null;
  userCode: string | null;
  uid: string | null;
  /** Epoch ms; null: no expiry. */
  expiresAt: number | null;
}

export interface StoredState {
  payload: string;
  expiresAt: number | null;
}
