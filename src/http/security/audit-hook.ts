import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../auth/principal.js';
import type { AccessNote, RouteAccess } from './route-access.js';

/** One HTTP access as the audit trail sees it: who, what route, what the handler touched, the outcome. */
export interface HttpAccess {
  principal?: Principal;
  requestId: string;
  sourceIp: string;
  method: string;
  /** The path without the query string (the query is kept only in notes, for searches). */
  path: string;
  /** The route pattern, e.g. `/dicomweb/studies/:study/metadata`. */
  route: string;
  status: number;
  rule: RouteAccess;
  note?: AccessNote;
}

/** Writes the record durably; resolves when it is. */
export type AccessRecorder = (access: HttpAccess) => Promise<void>;

/**
 * The wait for each durable record, published only while something subscribes (a diagnostic probe,
 * e.g. the bench's IB_BENCH_PROBE): `{ request, startedAt, ms }` (request: the raw IncomingMessage;
 * startedAt: performance.now() when the record was asked for).
 */
const recordWaits = channel('imagingbridge:audit-record-wait');

/**
 * Every access to a protected route — allowed or refused — is recorded before its response
 * leaves (`onSend` waits for the durable write): no access without its record. Public routes
 * and unknown paths are not recorded.
 */
export function registerAuditHook(app: FastifyInstance, record: AccessRecorder): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const rule = (req.routeOptions.config as { access?: RouteAccess } | undefined)?.access;
    if (!rule || rule.kind === 'public') return payload;
    const startedAt = recordWaits.hasSubscribers ? performance.now() : undefined;
    await record({
      principal: req.principal,
      requestId: String(req.id),
      sourceIp: req.ip,
      method: req.method,
      path: (req.raw.url ?? '').split('?')[0],
      route: req.routeOptions.url ?? '',
      status: reply.statusCode,
      rule,
      note: req.accessNote,
    });
    if (startedAt !== undefined)
      recordWaits.publish({ request: req.raw, startedAt, ms: performance.now() - startedAt });
    return payload;
  });
}
