import type { Role } from '../../auth/principal.js';
import type { RegisteredClient, StoredUser, User } from './security-store.js';

/** Rows of `oauth_clients` and `users`, the same columns in SQLite and PostgreSQL. */

/** Column values in the order of both stores' INSERTs. */
export function clientValues(c: RegisteredClient): (string | null)[] {
  return [
    c.clientId,
    c.scope,
    c.role,
    c.jwks ? JSON.stringify(c.jwks) : null,
    c.jwksUri ?? null,
    c.secretHash ?? null,
    JSON.stringify(c.redirectUris),
    c.createdAt,
  ];
}

export function userValues(u: StoredUser): (string | null)[] {
  return [u.username, u.passwordHash, u.role, u.fhirUser ?? null, u.patient ?? null, u.createdAt];
}

export interface ClientRow {
  client_id: string;
  scope: string;
  role: string;
  jwks: string | null;
  jwks_uri: string | null;
  secret_hash: string | null;
  redirect_uris: string;
  created_at: string;
}

export function clientFromRow(r: ClientRow): RegisteredClient {
  return {
    clientId: r.client_id,
    scope: r.scope,
    role: r.role as Role,
    jwks: r.jwks ? (JSON.parse(r.jwks) as RegisteredClient['jwks']) : undefined,
    jwksUri: r.jwks_uri ?? undefined,
    secretHash: r.secret_hash ?? undefined,
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    createdAt: r.created_at,
  };
}

export interface UserRow {
  username: string;
  password_hash: string;
  role: string;
  fhir_user: string | null;
  patient: string | null;
  created_at: string;
}

export function userFromRow(r: UserRow): StoredUser {
  return {
    username: r.username,
    passwordHash: r.password_hash,
    role: r.role as User['role'],
    fhirUser: r.fhir_user ?? undefined,
    patient: r.patient ?? undefined,
    createdAt: r.created_at,
  };
}
