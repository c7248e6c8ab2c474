import { authMethodOf, NON_RESOURCE_SCOPES, type RegisteredClient } from './client-store.js';
import { splitScope } from './smart-scopes.js';

/**
 * A registered client as oidc-provider client metadata. Resource (SMART) scopes are not client
 * metadata there — they are granted per request by the resource server policy — so `scope` holds
 * only the registered non-resource scopes (at least `openid`). For a symmetric client the stored
 * scrypt hash stands in for `client_secret`: the mount swaps a presented secret for the hash only
 * after verifying it (see basic-secret.ts), so the hash itself is never accepted as a secret.
 */
export function clientMetadata(c: RegisteredClient): Record<string, unknown> {
  const method = authMethodOf(c);
  const interactive = c.redirectUris.length > 0;
  const statics = splitScope(c.scope).filter((s) => (NON_RESOURCE_SCOPES as readonly string[]).includes(s));
  return {
    client_id: c.clientId,
    token_endpoint_auth_method: method,
    grant_types: [...(interactive ? ['authorization_code'] : []), ...(method === 'none' ? [] : ['client_credentials'])],
    response_types: interactive ? ['code'] : [],
    redirect_uris: c.redirectUris,
    scope: [...new Set(['openid', ...statics])].join(' '),
    ...(c.jwks ? { jwks: c.jwks } : {}),
    ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
    ...(c.secretHash ? { client_secret: c.secretHash } : {}),
  };
}
