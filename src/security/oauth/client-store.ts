import { ConfigError } from '../../core/errors.js';
import { ROLES, type Role } from '../../auth/principal.js';
import { hashSecret } from './password-hash.js';
import type { JsonWebKeyLike, RegisteredClient, SecurityStore } from './security-store.js';
import { parseSmartScope, splitScope } from './smart-scopes.js';

export type { JsonWebKeyLike, RegisteredClient } from './security-store.js';

export interface NewClient {
  clientId: string;
  scope: string;
  role?: Role;
  jwks?: unknown;
  jwksUri?: string;
  secret?: string;
  redirectUris?: string[];
}

/**
 * Scopes that are not resource scopes but may be registered and requested (oidc-provider's
 * static scopes). No refresh tokens are issued, so no `offline_access`; no EHR launch (`launch`).
 */
export const NON_RESOURCE_SCOPES = ['openid', 'fhirUser', 'profile', 'launch/patient'] as const;

const CLIENT_ID = /^[A-Za-z0-9._:~-]{1,128}$/;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

export class ClientStore {
  constructor(private readonly store: SecurityStore) {}

  /** Validates and stores a new client; throws ConfigError naming what is wrong. */
  async add(input: NewClient): Promise<RegisteredClient> {
    const client = validateClient(input);
    if (!(await this.store.addClient(client)))
      throw new ConfigError(`client "${client.clientId}" is already registered (remove it first)`);
    return client;
  }

  get(clientId: string): Promise<RegisteredClient | undefined> {
    return this.store.client(clientId);
  }

  list(): Promise<RegisteredClient[]> {
    return this.store.clients();
  }

  /** True when a client was removed. Tokens already issued stay valid until they expire (≤ token lifetime). */
  remove(clientId: string): Promise<boolean> {
    return this.store.removeClient(clientId);
  }
}

/**
 * A client the server registers itself (the web console): added at start, and registered again
 * when its scope, role or redirect URIs differ from what is stored (e.g. the public URL changed).
 */
export async function ensureClient(store: ClientStore, input: NewClient): Promise<RegisteredClient> {
  const wanted = validateClient(input);
  const current = await store.get(input.clientId);
  const same =
    current !== undefined &&
    authMethodOf(current) === authMethodOf(wanted) &&
    current.scope === wanted.scope &&
    current.role === wanted.role &&
    JSON.stringify(current.redirectUris) === JSON.stringify(wanted.redirectUris);
  if (same) return current;
  if (current) await store.remove(input.clientId);
  return store.add(input);
}

/** The kind of client authentication a registration implies. */
export function authMethodOf(
  c: Pick<RegisteredClient, 'jwks' | 'jwksUri' | 'secretHash'>,
): 'private_key_jwt' | 'client_secret_basic' | 'none' {
  if (c.jwks || c.jwksUri) return 'private_key_jwt';
  return c.secretHash ? 'client_secret_basic' : 'none';
}

function validateClient(input: NewClient): RegisteredClient {
  if (!CLIENT_ID.test(input.clientId)) throw new ConfigError('--client-id: 1 to 128 letters, digits or . _ : ~ -');
  const scopes = splitScope(input.scope);
  if (scopes.length === 0)
    throw new ConfigError('--scope is required, e.g. "system/ImagingStudy.rs system/Patient.rs"');
  for (const s of scopes) {
    if (!parseSmartScope(s) && !(NON_RESOURCE_SCOPES as readonly string[]).includes(s)) {
      throw new ConfigError(
        `--scope: "${s}" is not a SMART scope (context/Type.permissions, e.g. system/ImagingStudy.rs) nor one of ${NON_RESOURCE_SCOPES.join(', ')}`,
      );
    }
  }
  const role = input.role ?? 'ai-service';
  if (!ROLES.includes(role)) throw new ConfigError(`--role must be one of ${ROLES.join(', ')}`);
  const credentials = [input.jwks !== undefined, input.jwksUri !== undefined, input.secret !== undefined].filter(
    Boolean,
  ).length;
  if (credentials > 1) throw new ConfigError('give one of --jwks-file, --jwks-url or --secret-file');
  const redirectUris = (input.redirectUris ?? []).map((u) => checkUrl(u, '--redirect-uri'));
  if (credentials === 0 && redirectUris.length === 0) {
    throw new ConfigError(
      'a client needs --jwks-file, --jwks-url or --secret-file (or, for a public app, --redirect-uri)',
    );
  }
  if (input.secret !== undefined && input.secret.length < 16)
    throw new ConfigError('the client secret (--secret-file) must be at least 16 characters');
  return {
    clientId: input.clientId,
    scope: scopes.join(' '),
    role,
    jwks: input.jwks === undefined ? undefined : validateJwks(input.jwks),
    jwksUri: input.jwksUri === undefined ? undefined : checkUrl(input.jwksUri, '--jwks-url'),
    secretHash: input.secret === undefined ? undefined : hashSecret(input.secret),
    redirectUris,
    createdAt: new Date().toISOString(),
  };
}

/** A public JWK Set of RSA or EC keys; a private member anywhere is refused (it must never leave the client). */
export function validateJwks(value: unknown): { keys: JsonWebKeyLike[] } {
  const keys = (value as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ConfigError('the JWKS must be a JSON object {"keys": [...]} with at least one key');
  for (const key of keys as Record<string, unknown>[]) {
    if (typeof key !== 'object' || key === null || (key.kty !== 'RSA' && key.kty !== 'EC'))
      throw new ConfigError('each JWKS key must be an RSA or EC public key');
    if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(key, m)))
      throw new ConfigError('the JWKS holds a private key: register the public keys only');
    if (key.alg !== undefined && key.alg !== 'RS384' && key.alg !== 'ES384')
      throw new ConfigError(`JWKS key alg "${String(key.alg)}": only RS384 and ES384 are accepted`);
  }
  return { keys: keys as JsonWebKeyLike[] };
}

function checkUrl(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${flag}: "${value}" is not a URL`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new ConfigError(`${flag} must be https (or http to loopback)`);
  return url.href;
}
