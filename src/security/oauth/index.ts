/**
 * The SMART on FHIR authorization server (oidc-provider) and the token verifier.
 *
 * ```ts
 * const auth = await openAuthorizationServer({
 *   dataDir, publicUrl, tokenLifetime,          // config.dataDir, config.publicUrl, config.tokenLifetime (s)
 *   section: config.sections.security,          // security.externalIssuers (ConfigError when wrong)
 *   logger, onEvent: (e) => audit.record(e),     // token-issued | token-denied | login | login-failed
 * });
 * auth.register(app);        // /oauth/*, /.well-known/smart-configuration, /fhir/.well-known/smart-configuration
 * auth.verifier.verify(tok); // → Principal, or InvalidTokenError
 * auth.publicRoutes;         // ['/oauth', '/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']
 * auth.close();
 * ```
 * Issuer = `${publicUrl}/oauth` (its OpenID discovery at `/oauth/.well-known/openid-configuration`);
 * access tokens are ES384 JWTs with `aud = ${publicUrl}/fhir`. State lives in
 * `<dataDir>/security.sqlite` (clients, users, sessions) and `<dataDir>/oauth-keys.json` (0600),
 * or with `database` in PostgreSQL (schema `security`), shared by every instance.
 */
import type { AtRest } from '../../core/encryption/at-rest.js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { TokenVerifier } from '../../auth/principal.js';
import { AccessAdmin } from './access-admin.js';
import { installAudienceCheck } from './audience-check.js';
import { ClientStore, ensureClient, type NewClient } from './client-store.js';
import type { OAuthEvent } from './events.js';
import { parseExternalIssuers } from './external-issuers.js';
import { MOUNTED_ROUTES, mountAuthorizationServer } from './fastify-mount.js';
import { LoginThrottle, parseLoginThrottle } from './login-throttle.js';
import { storeAdapterFactory } from './oidc-adapter.js';
import { loadOidcProvider } from './load-oidc-provider.js';
import { providerConfiguration } from './provider-config.js';
import { openSecurityStore } from './open-security-store.js';
import { loadOrCreateServerKeys, publicJwks } from './server-keys.js';
import { installTokenEvents } from './token-events.js';
import { createTokenVerifier } from './token-verifier.js';
import { UserStore } from './user-store.js';

export type { OAuthEvent } from './events.js';
export { parseExternalIssuers, type ExternalIssuer } from './external-issuers.js';
export { createTokenVerifier } from './token-verifier.js';
export { AccessAdmin, type ClientView, type NewClientRequest, type NewUserRequest } from './access-admin.js';

export interface AuthorizationServerOptions {
  dataDir: string;
  /** postgres://…: the security stores in PostgreSQL instead of the data folder (config.database). */
  database?: string;
  /** Base URL clients use, without trailing slash (config.publicUrl). */
  publicUrl: string;
  /** Access token lifetime in seconds (default 300). */
  tokenLifetime?: number;
  /** `config.sections.security`. */
  section?: unknown;
  logger: Logger;
  onEvent?: (e: OAuthEvent) => void;
  /** Encryption at rest: security.sqlite keys and the sealing of oauth-keys.json. */
  atRest?: AtRest;
  /** Clients of the server itself (the web console's public client), registered at start. */
  ownClients?: NewClient[];
}

export interface AuthorizationServer {
  register(app: FastifyInstance): void;
  verifier: TokenVerifier;
  publicRoutes: string[];
  /** `${publicUrl}/oauth`. */
  issuer: string;
  /** Registered clients and users as they stand now (Subscriptions re-check their subscriber at each delivery). */
  clients: Pick<ClientStore, 'get'>;
  users: Pick<UserStore, 'get'>;
  /** Users and clients managed by administrators over HTTP (/api/admin/users, /api/admin/clients). */
  admin: AccessAdmin;
  close(): Promise<void>;
}

export async function openAuthorizationServer(o: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const external = parseExternalIssuers(o.section);
  const throttle = new LoginThrottle(parseLoginThrottle(o.section));
  const base = o.publicUrl.replace(/\/+$/, '');
  const issuer = `${base}/oauth`;
  const fhirBase = `${base}/fhir`;
  const tokenLifetime = o.tokenLifetime ?? 300;
  const store = await openSecurityStore(o.database, o.dataDir, o.atRest?.sqlite);
  const clients = new ClientStore(store);
  const users = new UserStore(store);
  for (const c of o.ownClients ?? []) {
    try {
      await ensureClient(clients, c);
    } catch (err) {
      // e.g. a plain-http public URL off loopback: no redirect URI may point there.
      o.logger.warn({ err, clientId: c.clientId }, 'built-in client not registered');
    }
  }
  const keys = await loadOrCreateServerKeys(store, o.atRest?.objects);
  const emit = (e: OAuthEvent) => {
    try {
      o.onEvent?.(e);
    } catch (err) {
      o.logger.error({ err, event: e.kind }, 'recording an authorization event failed');
    }
  };
  const { default: Provider, errors } = await loadOidcProvider();
  const provider = new Provider(
    issuer,
    providerConfiguration({
      issuer,
      fhirBase,
      tokenLifetime,
      keys,
      clients,
      users,
      adapter: storeAdapterFactory(store, clients),
      errors,
    }),
  );
  provider.proxy = true;
  provider.on('server_error', (_ctx, err) => o.logger.error({ err }, 'authorization server error'));
  installAudienceCheck(provider, fhirBase);
  installTokenEvents(provider, emit);
  const verifier = createTokenVerifier({ own: { issuer, audience: fhirBase, jwks: publicJwks(keys) }, external });
  return {
    register: (app) =>
      mountAuthorizationServer(app, {
        provider,
        clients,
        issuer,
        interactions: { provider, users, throttle, basePath: new URL(issuer).pathname, emit },
      }),
    verifier,
    publicRoutes: [...MOUNTED_ROUTES],
    issuer,
    clients,
    users,
    admin: new AccessAdmin(users, clients, new Set((o.ownClients ?? []).map((c) => c.clientId))),
    close: () => store.close(),
  };
}
