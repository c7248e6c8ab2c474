import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  allowAll,
  HiddenPatient,
  parseContextQuery,
  type AccessPolicy,
  type ContextService,
} from '../context/index.js';
import { notAcceptable } from '../core/errors.js';
import { contextAnswer, type ReadPool } from '../applications/read-pool/index.js';
import { FHIR_ERRORS } from './errors.js';
import { queryParams } from '../core/query-string.js';
import { access, noteAccess } from './security/route-access.js';

/** Per request, what the caller may see (the security issue derives it from the token). */
export type PolicyOf = (req: FastifyRequest) => AccessPolicy;
export const allowEverything: PolicyOf = () => allowAll;

const FHIR_JSON = 'application/fhir+json';

/**
 * GET /api/context: JSON by default, a FHIR collection Bundle for Accept: application/fhir+json.
 * With a read pool the context is built on a read thread (applications/read-pool); the route
 * keeps the access rules, the audit record and HTTP.
 */
export function registerContextRoutes(
  app: FastifyInstance,
  context: ContextService,
  policyOf: PolicyOf = allowEverything,
  pool?: ReadPool,
): void {
  const route = {
    config: { ...access({ kind: 'resources', types: ['Patient'], interactions: 'r' }).config, ...FHIR_ERRORS },
  };
  app.get('/api/context', route, async (req, reply) => {
    const accept = req.headers.accept ?? '';
    const asBundle = accept.includes(FHIR_JSON);
    if (accept && !asBundle && !/json|\*\/\*|application\/\*/i.test(accept))
      throw notAcceptable(`Accept: ${accept}: the context is application/json or ${FHIR_JSON}`);
    const request = parseContextQuery(queryParams(req.url));
    noteAccess(req, {
      event: 'context',
      details: { sections: request.include },
      ...('id' in request.patient ? { patientIds: [request.patient.id] } : {}),
    });
    const policy = policyOf(req);
    const answer = await (pool
      ? pool.context(request, policy, asBundle)
      : contextAnswer(context, request, policy, asBundle)
    ).catch((e: unknown) => {
      // Answered as not found; the audit record still names the patient that was asked for.
      if (e instanceof HiddenPatient) noteAccess(req, { patientIds: [e.patientId] });
      throw e;
    });
    noteAccess(req, {
      ...(answer.patientId ? { patientIds: [answer.patientId] } : {}),
      details: { omitted: answer.omitted ?? [] },
    });
    return reply.type(asBundle ? FHIR_JSON : 'application/json').send(answer.json);
  });
}
