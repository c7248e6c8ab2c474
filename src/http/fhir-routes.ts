import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { queryOf } from '../core/query-string.js';
import { fhirJsonPayload } from './bundle-stream.js';
import type { FhirRouter } from '../fhir/rest/router.js';
import type { AccessRecord } from '../fhir/rest/context.js';
import type { Principal } from '../auth/principal.js';

export interface FhirRouteOptions {
  /** The verified caller of a request; the router enforces its scopes. Without it, requests are unrestricted. */
  principalOf?: (req: FastifyRequest) => Principal | undefined;
  /** Told what each request accessed (for the audit trail), on success and failure. */
  onAccess?: (req: FastifyRequest, access: AccessRecord, status: number) => void;
}

/**
 * The HTTP adapter for the FHIR router: every method under `prefix`, the body handed over as
 * text (the router checks its media type), the router's answer written back as it is.
 */
export function registerFhirRoutes(
  app: FastifyInstance,
  router: FhirRouter,
  prefix = '/fhir',
  options: FhirRouteOptions = {},
): void {
  void app.register(async (scope) => {
    // FHIR bodies of any declared type arrive as text: 415 and 400 are the router's decisions.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    const handle = async (req: FastifyRequest, reply: FastifyReply) => {
      const url = req.raw.url ?? '';
      const rawPath = url.split('?')[0].slice(prefix.length);
      const path = rawPath.split('/').filter(Boolean).map(decodeSegment).join('/');
      const body = typeof req.body === 'string' ? req.body : undefined;
      const res = await router.handle({
        method: req.method,
        path,
        query: queryOf(url.includes('?') ? url.slice(url.indexOf('?')) : ''),
        headers: flatten(req.headers),
        body,
        principal: options.principalOf?.(req),
      });
      if (res.access) options.onAccess?.(req, res.access, res.status);
      void reply.code(res.status).headers(res.headers);
      if (res.body === undefined || req.method === 'HEAD') return reply.send();
      // A large Bundle goes out entry by entry (bundle-stream.ts).
      return reply.send(fhirJsonPayload(res.body));
    };
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
    // Any valid token: the router decides per interaction from the caller's scopes.
    const config = { access: { kind: 'authenticated' as const } };
    scope.route({ method: [...methods], url: prefix, handler: handle, exposeHeadRoute: false, config });
    scope.route({ method: [...methods], url: `${prefix}/*`, handler: handle, exposeHeadRoute: false, config });
    // The CapabilityStatement is public (clients discover the server before they have a token).
    scope.route({
      method: ['GET', 'HEAD'],
      url: `${prefix}/metadata`,
      handler: handle,
      exposeHeadRoute: false,
      config: { access: { kind: 'public' as const } },
    });
  });
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = Object.create(null); // names from the request
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
