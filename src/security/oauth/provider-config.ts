import type { Configuration, errors as OidcErrors, KoaContextWithOIDC } from 'oidc-provider';
import { NON_RESOURCE_SCOPES, type ClientStore } from './client-store.js';
import { escapeHtml, page } from './html.js';
import { limitUserScopeText } from '../../auth/role-scopes.js';
import { grantableScopes, parseSmartScope, splitScope } from './smart-scopes.js';
import type { ServerKeys } from './server-keys.js';
import type { UserStore } from './user-store.js';

/**
 * oidc-provider configuration for SMART App Launch 2 / Backend Services:
 * - client_credentials + private_key_jwt (RS384, ES384; jti replay refused by oidc-provider,
 *   `sub = iss`, `aud` = token endpoint and `exp` ≤ 5 min checked here) and client_secret_basic;
 * - authorization code with PKCE S256 required for every client, OpenID Connect with `fhirUser`;
 * - every access token is a JWT (ES384) for the one resource, the FHIR base (Resource Indicators
 *   with that default), carrying `roles` and, for people, `fhirUser` and `patient`.
 */
export interface ProviderConfigOptions {
  /** `${publicUrl}/oauth`. */
  issuer: string;
  /** `${publicUrl}/fhir`: the audience of every access token. */
  fhirBase: string;
  /** Seconds. */
  tokenLifetime: number;
  keys: ServerKeys;
  clients: ClientStore;
  users: UserStore;
  adapter: Configuration['adapter'];
  /** oidc-provider's error classes (the module is loaded once, by load-oidc-provider.ts). */
  errors: typeof OidcErrors;
}

export const STATIC_SCOPES: string[] = [...NON_RESOURCE_SCOPES];
export const CLIENT_AUTH_ALGS = ['RS384', 'ES384'];
/** An assertion may live at most this long (SMART Backend Services: ≤ 5 minutes). */
const MAX_ASSERTION_SECONDS = 300;

export function providerConfiguration(o: ProviderConfigOptions): Configuration {
  const { errors } = o;
  return {
    adapter: o.adapter,
    jwks: { keys: o.keys.signing as NonNullable<Configuration['jwks']>['keys'] },
    cookies: { keys: o.keys.cookieKeys },
    scopes: STATIC_SCOPES,
    claims: { openid: ['sub'], fhirUser: ['fhirUser'], profile: ['preferred_username'] },
    // SMART puts fhirUser in the id_token of the code flow.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientAuthMethods: ['private_key_jwt', 'client_secret_basic', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: CLIENT_AUTH_ALGS as never,
      idTokenSigningAlgValues: ['RS256', 'ES384'] as never,
    },
    pkce: { required: () => true },
    clockTolerance: 5,
    ttl: {
      AccessToken: o.tokenLifetime,
      ClientCredentials: o.tokenLifetime,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
    issueRefreshToken: async () => false,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => o.fhirBase,
        // A SMART app does not repeat `resource` at the token endpoint: use the granted one.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource, client) => {
          if (resource !== o.fhirBase) throw new errors.InvalidTarget(`the only resource is ${o.fhirBase}`);
          const scope = await resourceScopes(ctx, client.clientId, o.clients, o.users, errors);
          return {
            scope: scope.join(' '),
            audience: o.fhirBase,
            accessTokenFormat: 'jwt',
            accessTokenTTL: o.tokenLifetime,
            jwt: { sign: { alg: 'ES384' } },
          };
        },
      },
    },
    interactions: { url: async (_ctx, interaction) => `${new URL(o.issuer).pathname}/interaction/${interaction.uid}` },
    findAccount: async (_ctx, id) => {
      const user = await o.users.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          preferred_username: id,
          ...(user.fhirUser ? { fhirUser: `${o.fhirBase}/${user.fhirUser}` } : {}),
        }),
      };
    },
    extraTokenClaims: async (ctx, token) => {
      if (token.kind === 'ClientCredentials') {
        const client = await o.clients.get(token.clientId!);
        return { roles: client ? [client.role] : [] };
      }
      const user = token.accountId ? await o.users.get(token.accountId) : undefined;
      if (!user) return undefined;
      const code = ctx.oidc.entities.AuthorizationCode as { scope?: string } | undefined;
      const wantsPatient = splitScope(code?.scope).includes('launch/patient');
      return { roles: [user.role], fhirUser: user.fhirUser, patient: wantsPatient ? user.patient : undefined };
    },
    assertJwtClientAuthClaimsAndHeader: async (ctx, claims) => {
      const tokenUrl = `${o.issuer}/token`;
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!audiences.includes(tokenUrl))
        throw new errors.InvalidClientAuth(`the client assertion's aud must be the token endpoint ${tokenUrl}`);
      if (claims.sub !== ctx.oidc.client?.clientId)
        throw new errors.InvalidClientAuth('the client assertion needs sub = iss = client_id');
      if (typeof claims.exp !== 'number' || claims.exp - Date.now() / 1000 > MAX_ASSERTION_SECONDS) {
        throw new errors.InvalidClientAuth(`the client assertion must expire within ${MAX_ASSERTION_SECONDS} seconds`);
      }
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page(
        'Sign-in problem',
        Object.entries(out)
          .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v)}</p>`)
          .join(''),
      );
    },
  };
}

/**
 * The resource scopes this request may obtain: the requested ones (from the request, or from
 * the authorization code being redeemed) that the client's registration covers. Backend
 * services get `system/` scopes only; people never get `system/` scopes. A client_credentials
 * request left with nothing is refused (invalid_scope) rather than answered with an empty token.
 * A person's `user/` scopes are cut down to what the user's role allows (src/auth/role-scopes.ts); as
 * oidc-provider grants only requested scopes, a requested scope wider than the role is left out.
 */
async function resourceScopes(
  ctx: KoaContextWithOIDC,
  clientId: string,
  clients: ClientStore,
  users: UserStore,
  errors: typeof OidcErrors,
): Promise<string[]> {
  const registered = splitScope((await clients.get(clientId))?.scope);
  const code = ctx.oidc.entities.AuthorizationCode as { scope?: string; accountId?: string } | undefined;
  const requested = splitScope([ctx.oidc.params?.scope, code?.scope].filter(Boolean).join(' '));
  const backend = ctx.oidc.params?.grant_type === 'client_credentials';
  const granted = grantableScopes(requested, registered).filter((s) => {
    const smart = parseSmartScope(s);
    return smart !== undefined && (backend ? smart.context === 'system' : smart.context !== 'system');
  });
  if (!backend) {
    const accountId = code?.accountId ?? ctx.oidc.session?.accountId;
    const user = accountId ? await users.get(accountId) : undefined;
    return limitUserScopeText(granted, user ? [user.role] : []);
  }
  if (granted.length === 0) {
    throw new errors.InvalidScope(
      requested.length === 0
        ? 'scope is required (e.g. system/ImagingStudy.rs)'
        : 'none of the requested scopes is registered for this client',
      requested.join(' '),
    );
  }
  return granted;
}
