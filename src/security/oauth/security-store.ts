import type { Role } from '../../auth/principal.js';

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

/**
 * Registered OAuth clients (validated by ClientStore), written by
 * `imaging-bridge clients …` and read by the authorization server on every request.
 * - asymmetric (private_key_jwt): `jwks` inline or `jwksUri`;
 * - symmetric (client_secret_basic): only the scrypt hash of the secret is stored;
 * - public (PKCE, no secret): neither, but redirect URIs.
 */
export interface RegisteredClient {
  clientId: string;
  /** The most it may ever obtain, space-separated. */
  scope: string;
  role: Role;
  jwks?: { keys: JsonWebKeyLike[] };
  jwksUri?: string;
  secretHash?: string;
  redirectUris: string[];
  createdAt: string;
}

export type JsonWebKeyLike = Record<string, unknown> & { kty: string };

/**
 * People who sign in to the authorization server (validated by UserStore), written by
 * `imaging-bridge users …`. Passwords are kept as scrypt hashes only. A user may be bound to a
 * FHIR Practitioner (`fhirUser`) and to one patient (the patient context of `launch/patient`).
 * For a hospital directory, use an external identity provider instead (security.externalIssuers).
 */
export interface User {
  username: string;
  role: Exclude<Role, 'ai-service'>;
  fhirUser?: string;
  patient?: string;
  createdAt: string;
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
