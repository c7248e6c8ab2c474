import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Slow requests cannot hold connections (slowloris, slow uploads):
 * - the headers of every request must arrive within `publicMs` (Node's headersTimeout);
 * - a request that is not authenticated — a public route (the login form, the token endpoint)
 *   or a protected one answered 401/403, whose unread body Node would otherwise keep draining —
 *   must arrive whole within `publicMs`, or it is answered 408 and its connection closed;
 * - an authenticated request (an upload with a valid token) must arrive within `authenticatedMs`
 *   (Node's requestTimeout; 0 = no limit). Responses are not limited: long WADO streams go on.
 */
export interface RequestDeadlines {
  publicMs: number;
  authenticatedMs: number;
}

/** Options for http(s).createServer: Node enforces these itself, checked every second. */
export function serverTimeouts(d: RequestDeadlines): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  return { headersTimeout: d.publicMs, requestTimeout: d.authenticatedMs, connectionsCheckingInterval: 1000 };
}

const TIMERS = new WeakMap<FastifyRequest, NodeJS.Timeout>();

/** Registered before access control: each request starts on the short deadline until it is authenticated. */
export function registerRequestDeadline(app: FastifyInstance, d: RequestDeadlines): void {
  app.addHook('onRequest', async (req, reply) => {
    const timer = setTimeout(() => {
      if (req.raw.complete || req.raw.socket.destroyed) return;
      req.log.warn({ url: req.url.split('?')[0], ip: req.ip }, 'request body too slow: connection closed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(408, { 'content-type': 'application/fhir+json', connection: 'close' });
        reply.raw.end(JSON.stringify(timeoutOutcome(d.publicMs)));
      }
      req.raw.socket.destroySoon();
      setTimeout(() => req.raw.socket.destroy(), 1000).unref();
    }, d.publicMs);
    timer.unref();
    TIMERS.set(req, timer);
    // Not cleared when the answer is sent: a 401 leaves the body to Node, which drains it.
    req.raw.once('close', () => clearTimeout(timer));
  });
  // After access control's onRequest: only a request that passed it gets here with a principal
  // (under --auth none, loopback only, the anonymous principal of every protected route).
  app.addHook('preParsing', async (req) => {
    if (req.principal) clearTimeout(TIMERS.get(req));
  });
}

function timeoutOutcome(ms: number): unknown {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'timeout', diagnostics: `the request did not arrive within ${ms / 1000} s` }],
  };
}
