import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { queryOf } from '../rest/query.js';
import type { FhirRouter } from '../rest/router.js';

/**
 * The HTTP adapter for the FHIR router: every method under `prefix`, the body handed over as
 * text (the router checks its media type), the router's answer written back as it is.
 * (Belongs beside src/http/dicomweb-routes.ts; kept here until the lead moves it.)
 */
export function registerFhirRoutes(app: FastifyInstance, router: FhirRouter, prefix = '/fhir'): void {
  void app.register(async (scope) => {
    // FHIR bodies of any declared type arrive as text: 415 and 400 are the router's decisions.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    const handle = async (req: FastifyRequest, reply: FastifyReply) => {
      const url = req.raw.url ?? '';
      const rawPath = url.split('?')[0].slice(prefix.length);
      const res = await router.handle({
        method: req.method,
        path: rawPath.split('/').filter(Boolean).map(decodeSegment).join('/'),
        query: queryOf(url.includes('?') ? url.slice(url.indexOf('?')) : ''),
        headers: flatten(req.headers),
        body: typeof req.body === 'string' ? req.body : undefined,
      });
      void reply.code(res.status).headers(res.headers);
      if (res.body === undefined || req.method === 'HEAD') return reply.send();
      return reply.send(JSON.stringify(res.body));
    };
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
    scope.route({ method: [...methods], url: prefix, handler: handle, exposeHeadRoute: false });
    scope.route({ method: [...methods], url: `${prefix}/*`, handler: handle, exposeHeadRoute: false });
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
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
