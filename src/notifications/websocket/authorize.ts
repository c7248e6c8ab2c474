import type { IncomingMessage } from 'node:http';
import { permitsAll } from '../../fhir/access/scope-access.js';
import { InvalidTokenError, type TokenVerifier } from '../../auth/principal.js';
import type { Admission } from './server.js';

/**
 * Opening the Subscription websocket needs a valid token (`Authorization: Bearer`, or
 * `access_token` in the query for browsers, which cannot set headers on a websocket) that may
 * read Subscriptions. The socket lives as long as that token (closed at its expiry) and carries
 * its caller, who may bind only its own Subscriptions. Pings carry only the Subscription id.
 */
export function websocketAuthorizer(verifier: TokenVerifier) {
  return async (req: IncomingMessage): Promise<Admission> => {
    const header = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = header ?? new URL(req.url ?? '/', 'http://x').searchParams.get('access_token') ?? undefined;
    if (!token) return { status: 401, reason: 'an access token is required' };
    try {
      const principal = await verifier.verify(token);
      return permitsAll(principal, 'Subscription', 'r')
        ? { principal }
        : { status: 403, reason: 'this needs the scope Subscription.r', principal };
    } catch (e) {
      if (e instanceof InvalidTokenError) return { status: 401, reason: e.message };
      throw e;
    }
  };
}
