import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS, InvalidTokenError, type Principal, type TokenVerifier } from '../../auth/principal.js';
import { outcome } from '../../core/errors.js';
import { warningHeader } from '../errors.js';
import type { RouteAccess } from './route-access.js';

/** The scope decisions the edge needs (src/security implements them; `--auth none` allows all). */
export interface ScopeDecisions {
  /** Does some scope of the principal grant every one of `interactions` (letters of `cruds`) on `resourceType`? */
  permits(principal: Principal, resourceType: string, interactions: string): boolean;
  /** DICOMweb: allowed at all, and restricted to one patient's studies (patient-bound tokens)? */
  dicomweb(
    principal: Principal,
    need: 'read' | 'create' | 'delete',
  ): { allowed: boolean; patient?: string; reason?: string };
}

export interface AccessControlOptions {
  mode: 'none' | 'smart';
  verifier?: TokenVerifier;
  decisions: ScopeDecisions;
  /** Routes mounted by libraries (the OAuth server) that are public by nature: URL prefixes. */
  publicPrefixes?: readonly string[];
  /** `realm` in WWW-Authenticate. */
  realm: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** A patient-bound token on DICOMweb: only this FHIR Patient's studies. */
    patientRestriction?: string;
  }
}

/**
 * Every route must carry an access rule (`onRoute` refuses to register one that does not, except
 * under an explicit public prefix); every request is authenticated and authorized before its
 * handler runs. 401 + `WWW-Authenticate: Bearer` for a missing, invalid or expired token; 403
 * OperationOutcome for an insufficient scope or role.
 */
export function registerAccessControl(app: FastifyInstance, o: AccessControlOptions): RouteRule[] {
  if (o.mode === 'smart' && !o.verifier) throw new Error('--auth smart needs a token verifier');
  const table: RouteRule[] = [];
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { access?: RouteAccess };
    const methods = ([] as string[]).concat(route.method as string | string[]);
    if (!config.access) {
      if (!o.publicPrefixes?.some((p) => route.url === p || route.url.startsWith(p.endsWith('/') ? p : `${p}/`))) {
        throw new Error(`route ${methods.join(',')} ${route.url} declares no access rule`);
      }
      route.config = { ...config, access: { kind: 'public' } } as typeof route.config;
    }
    const access = (route.config as { access: RouteAccess }).access;
    for (const method of methods) table.push({ method, url: route.url, access });
  });

  app.addHook('onRequest', async (req, reply) => {
    const rule = (req.routeOptions.config as { access?: RouteAccess } | undefined)?.access;
    // No rule: the not-found handler (it reveals nothing) or a public route.
    if (!rule || rule.kind === 'public') return;
    let principal: Principal;
    if (o.mode === 'none') principal = ANONYMOUS;
    else {
      const token = bearerToken(req);
      if (token === undefined)
        return challenge(reply, o.realm, 'an access token is required (Authorization: Bearer <token>)');
      if (token === '')
        return challenge(reply, o.realm, 'the Authorization header is not a Bearer token', 'invalid_request');
      try {
        principal = await o.verifier!.verify(token);
      } catch (e) {
        if (e instanceof InvalidTokenError) return challenge(reply, o.realm, e.message, e.code);
        throw e;
      }
    }
    req.principal = principal;
    const refusal = authorize(rule, principal, o.decisions, req);
    if (refusal) return refuse(reply, refusal);
  });
  return table;
}

/** One registered route and its rule (the route-matrix test walks these). */
export interface RouteRule {
  method: string;
  url: string;
  access: RouteAccess;
}

/** Why the principal may not use a route with this rule, or undefined when it may. */
export function authorize(
  rule: RouteAccess,
  p: Principal,
  d: ScopeDecisions,
  req?: FastifyRequest,
): string | undefined {
  switch (rule.kind) {
    case 'public':
    case 'authenticated':
      return undefined;
    case 'roles':
      return p.roles.some((r) => rule.roles.includes(r)) ? undefined : `this needs the role ${rule.roles.join(' or ')}`;
    case 'resources': {
      const missing = rule.types.filter((t) => !d.permits(p, t, rule.interactions));
      return missing.length === 0
        ? undefined
        : `this needs the scope(s) ${missing.map((t) => `${t}.${rule.interactions}`).join(' and ')}`;
    }
    case 'dicomweb': {
      const decision = d.dicomweb(p, rule.need);
      if (!decision.allowed) return decision.reason ?? `DICOMweb ${rule.need} is not granted`;
      if (decision.patient !== undefined && req) req.patientRestriction = decision.patient;
      return undefined;
    }
  }
}

/** The token of `Authorization: Bearer x` (undefined: no header; '': another scheme). */
function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(h);
  return m ? m[1] : '';
}

function challenge(reply: FastifyReply, realm: string, text: string, error?: string) {
  const params = [`realm="${realm}"`];
  if (error)
    params.push(
      `error="${error}"`,
      `error_description="${text.replace(/["\\\r\n]/g, ' ').replace(/[^\x20-\x7e]/g, '?')}"`,
    );
  return reply
    .code(401)
    .headers({
      'www-authenticate': `Bearer ${params.join(', ')}`,
      warning: warningHeader(text),
      'cache-control': 'no-store',
    })
    .type('application/fhir+json')
    .send(outcome('error', 'login', text));
}

function refuse(reply: FastifyReply, text: string) {
  return reply
    .code(403)
    .headers({ warning: warningHeader(text), 'www-authenticate': 'Bearer error="insufficient_scope"' })
    .type('application/fhir+json')
    .send(outcome('error', 'forbidden', text));
}
