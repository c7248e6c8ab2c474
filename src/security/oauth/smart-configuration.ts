import { CLIENT_AUTH_ALGS, STATIC_SCOPES } from './provider-config.js';

/**
 * `/.well-known/smart-configuration` (SMART App Launch 2.2 §2.1), absolute URLs from the public
 * URL. The same document is served at the root and under the FHIR base.
 */
export function smartConfiguration(issuer: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/me`,
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'none'],
    token_endpoint_auth_signing_alg_values_supported: CLIENT_AUTH_ALGS,
    grant_types_supported: ['authorization_code', 'client_credentials'],
    scopes_supported: [
      ...STATIC_SCOPES,
      'system/*.rs',
      'system/*.cruds',
      'system/*.read',
      'user/*.rs',
      'user/*.cruds',
      'user/*.read',
      'patient/*.rs',
      'patient/*.read',
    ],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-standalone',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-standalone-patient',
      'permission-v1',
      'permission-v2',
      'permission-patient',
      'permission-user',
      'sso-openid-connect',
    ],
  };
}
