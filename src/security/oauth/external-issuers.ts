import { ConfigError } from '../../core/errors.js';
import { ROLES, type Role } from '../../auth/principal.js';

/**
 * `security.externalIssuers` of the config file: identity providers whose JWT access tokens are
 * accepted as they are (a hospital IdP, the EHR's authorization server).
 *
 * ```json
 * { "security": { "externalIssuers": [{
 *     "issuer": "https://idp.example/realms/hospital", "jwksUri": "https://idp.example/…/certs",
 *     "audience": "https://imaging.example/fhir", "scopeClaim": "scope", "rolesClaim": "roles",
 *     "roleMap": { "Radiologist": "radiologist" } }] } }
 * ```
 * Only `externalIssuers` is read here; other keys of the section belong to other modules.
 */
export interface ExternalIssuer {
  issuer: string;
  /** Where its signing keys are (fetched and cached by jose), or … */
  jwksUri?: string;
  /** … the keys themselves (public JWK Set). */
  jwks?: { keys: Record<string, unknown>[] };
  /** Accepted `aud` values (any one must be present). */
  audience: string[];
  /** Claim holding the scopes: a space-separated string or an array (`scope`, `scp`). */
  scopeClaim: string;
  /** Claim holding the roles (array or space-separated string); dotted paths reach nested claims (`realm_access.roles`). */
  rolesClaim: string;
  /** Their role name → our role; unmapped names are ignored. Our own role names map to themselves. */
  roleMap: Record<string, Role>;
  /** Accepted signature algorithms. */
  algorithms: string[];
}

const KNOWN = ['issuer', 'jwksUri', 'jwks', 'audience', 'scopeClaim', 'rolesClaim', 'roleMap', 'algorithms'];
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Validates `config.sections.security` (the external issuers part); throws ConfigError naming the key. */
export function parseExternalIssuers(section: unknown): ExternalIssuer[] {
  if (section === undefined) return [];
  if (!isObject(section)) throw new ConfigError('config "security" must be an object');
  const list = section.externalIssuers;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ConfigError('config "security.externalIssuers" must be an array of issuers');
  const out = list.map((entry, i) => parseIssuer(entry, `security.externalIssuers[${i}]`));
  const seen = new Set<string>();
  for (const e of out) {
    if (seen.has(e.issuer))
      throw new ConfigError(`config "security.externalIssuers": issuer ${e.issuer} is listed twice`);
    seen.add(e.issuer);
  }
  return out;
}

function parseIssuer(value: unknown, at: string): ExternalIssuer {
  if (!isObject(value)) throw new ConfigError(`config "${at}" must be an object`);
  for (const key of Object.keys(value))
    if (!KNOWN.includes(key)) throw new ConfigError(`config "${at}.${key}" is not known (known: ${KNOWN.join(', ')})`);
  const issuer = url(value.issuer, `${at}.issuer`);
  if ((value.jwksUri === undefined) === (value.jwks === undefined))
    throw new ConfigError(`config "${at}": give exactly one of jwksUri or jwks`);
  const jwksUri = value.jwksUri === undefined ? undefined : url(value.jwksUri, `${at}.jwksUri`);
  if (jwksUri && new URL(jwksUri).protocol !== 'https:' && !isLoopback(new URL(jwksUri).hostname))
    throw new ConfigError(`config "${at}.jwksUri" must be https (or http to loopback)`);
  let jwks: ExternalIssuer['jwks'];
  if (value.jwks !== undefined) {
    const keys = isObject(value.jwks) ? value.jwks.keys : undefined;
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every(isObject))
      throw new ConfigError(`config "${at}.jwks" must be a JWK Set {"keys": [...]}`);
    if (keys.some((k) => Object.hasOwn(k, 'd') || Object.hasOwn(k, 'k')))
      throw new ConfigError(`config "${at}.jwks" must hold public keys only`);
    jwks = { keys };
  }
  const audience = typeof value.audience === 'string' ? [value.audience] : value.audience;
  if (!Array.isArray(audience) || audience.length === 0 || !audience.every((a) => typeof a === 'string' && a !== '')) {
    throw new ConfigError(`config "${at}.audience" is required: the aud value(s) its tokens carry for this server`);
  }
  const roleMap: Record<string, Role> = Object.create(null); // keyed by the IdP's role names
  if (value.roleMap !== undefined) {
    if (!isObject(value.roleMap))
      throw new ConfigError(`config "${at}.roleMap" must be an object {"TheirRole": "radiologist"}`);
    for (const [theirs, ours] of Object.entries(value.roleMap)) {
      if (!ROLES.includes(ours as Role))
        throw new ConfigError(`config "${at}.roleMap.${theirs}" must be one of ${ROLES.join(', ')}`);
      roleMap[theirs] = ours as Role;
    }
  }
  const algorithms = value.algorithms ?? ['RS256', 'RS384', 'ES256', 'ES384', 'PS256'];
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    !algorithms.every((a) => ALGORITHMS.includes(a as string))
  ) {
    throw new ConfigError(`config "${at}.algorithms" must list some of ${ALGORITHMS.join(', ')}`);
  }
  return {
    issuer,
    jwksUri,
    jwks,
    audience: audience as string[],
    scopeClaim: claimName(value.scopeClaim, 'scope', `${at}.scopeClaim`),
    rolesClaim: claimName(value.rolesClaim, 'roles', `${at}.rolesClaim`),
    roleMap,
    algorithms: algorithms as string[],
  };
}

function url(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new ConfigError(`config "${at}" is required (a URL)`);
  try {
    const u = new URL(value);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`config "${at}" must be an http(s) URL`);
  }
  return value;
}

function claimName(value: unknown, fallback: string, at: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_:.-]{1,128}$/.test(value))
    throw new ConfigError(`config "${at}" must be a claim name`);
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
