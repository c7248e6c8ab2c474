import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { InvalidTokenError, ROLES, type Principal, type Role, type TokenVerifier } from '../../auth/principal.js';
import type { ExternalIssuer } from './external-issuers.js';
import { own } from '../../core/own.js';

/**
 * Bearer tokens → Principal. The token's `iss` picks the keys: our own issuer (our JWKS, audience
 * = the FHIR base, `typ: at+jwt`), or one of the configured external issuers (its JWKS, its
 * audience, its claim names and role map). Anything else — unknown issuer, wrong key, expired,
 * wrong audience, not a JWT — is an InvalidTokenError.
 */
export interface VerifierOptions {
  own: { issuer: string; audience: string; jwks: { keys: JWK[] } };
  external: readonly ExternalIssuer[];
  /** Seconds of clock skew tolerated on exp/nbf/iat. */
  clockTolerance?: number;
}

const OWN_ALGORITHMS = ['ES384', 'RS256', 'RS384'];

export function createTokenVerifier(o: VerifierOptions): TokenVerifier {
  const ownKeys = createLocalJWKSet(o.own.jwks);
  const external = new Map(o.external.map((e) => [e.issuer, { config: e, keys: keySet(e) }]));
  const clockTolerance = o.clockTolerance ?? 5;
  return {
    async verify(token: string): Promise<Principal> {
      let iss: string | undefined;
      try {
        iss = decodeJwt(token).iss;
      } catch {
        throw new InvalidTokenError('the access token is not a JWT');
      }
      if (iss === o.own.issuer) {
        const claims = await check(() =>
          jwtVerify(token, ownKeys, {
            issuer: o.own.issuer,
            audience: o.own.audience,
            algorithms: OWN_ALGORITHMS,
            typ: 'at+jwt',
            requiredClaims: ['exp', 'jti'],
            clockTolerance,
          }),
        );
        return ownPrincipal(claims);
      }
      const ext = iss === undefined ? undefined : external.get(iss);
      if (!ext) throw new InvalidTokenError('the access token comes from an issuer this server does not trust');
      const claims = await check(() =>
        jwtVerify(token, ext.keys, {
          issuer: ext.config.issuer,
          audience: ext.config.audience,
          algorithms: ext.config.algorithms,
          requiredClaims: ['exp'],
          clockTolerance,
        }),
      );
      return externalPrincipal(claims, ext.config);
    },
  };
}

function keySet(e: ExternalIssuer): JWTVerifyGetKey {
  return e.jwks
    ? createLocalJWKSet(e.jwks as { keys: JWK[] })
    : createRemoteJWKSet(new URL(e.jwksUri!), {
        timeoutDuration: 5000,
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
      });
}

async function check(verify: () => Promise<{ payload: JWTPayload }>): Promise<JWTPayload> {
  try {
    return (await verify()).payload;
  } catch (e) {
    throw new InvalidTokenError(reason(e));
  }
}

function reason(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'the access token has expired';
  if (e instanceof errors.JWTClaimValidationFailed) return `the access token's ${e.claim} claim is not acceptable`;
  if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey)
    return 'the access token signature does not verify';
  if (e instanceof errors.JOSEAlgNotAllowed)
    return 'the access token is signed with an algorithm this server does not accept';
  if (e instanceof errors.JWKSTimeout || (e as Error)?.name === 'TypeError')
    return "the issuer's keys could not be fetched";
  return 'the access token is not valid';
}

function ownPrincipal(c: JWTPayload): Principal {
  const clientId = str(c.client_id);
  return {
    kind: c.sub !== undefined && c.sub === clientId ? 'client' : 'user',
    clientId,
    subject: c.sub,
    jti: c.jti,
    issuer: c.iss,
    scope: str(c.scope) ?? '',
    roles: list(c.roles).filter(isRole),
    patient: str(c.patient),
    fhirUser: str(c.fhirUser),
    expiresAt: c.exp,
  };
}

function externalPrincipal(c: JWTPayload, e: ExternalIssuer): Principal {
  const clientId = str(c.azp) ?? str(c.client_id) ?? str(c.cid);
  const kind = c.sub !== undefined && c.sub === clientId ? 'client' : 'user';
  const mapped = list(claimAt(c, e.rolesClaim))
    .map((r) => own(e.roleMap, r) ?? (isRole(r) ? r : undefined))
    .filter((r): r is Role => r !== undefined);
  const roles = [...new Set(mapped.length === 0 && kind === 'client' ? ['ai-service' as const] : mapped)];
  return {
    kind,
    clientId,
    subject: c.sub,
    jti: c.jti,
    issuer: c.iss,
    scope: list(claimAt(c, e.scopeClaim)).join(' '),
    roles,
    patient: str(c.patient),
    fhirUser: str(c.fhirUser),
    expiresAt: c.exp,
  };
}

/** A claim by dotted path (`realm_access.roles`). */
function claimAt(c: JWTPayload, path: string): unknown {
  if (Object.hasOwn(c, path)) return c[path];
  return path
    .split('.')
    .reduce<unknown>(
      (v, k) =>
        typeof v === 'object' && v !== null && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined,
      c,
    );
}

function list(v: unknown): string[] {
  if (typeof v === 'string') return v.split(' ').filter(Boolean);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const isRole = (r: unknown): r is Role => ROLES.includes(r as Role);
