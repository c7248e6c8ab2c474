import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  allowAll,
  HiddenPatient,
  parseContextQuery,
  type AccessPolicy,
  type ContextService,
} from '../context/index.js';
import { notAcceptable } from '../core/errors.js';
import { FHIR_ERRORS } from './errors.js';
import { queryParams } from '../core/query-string.js';
import { access, noteAccess } from './security/route-access.js';

/** Per request, what the caller may see (the security issue derives it from the token). */
export type PolicyOf = (req: FastifyRequest) => AccessPolicy;
export const allowEverything: PolicyOf = () => allowAll;

const FHIR_JSON = 'application/fhir+json';

/** The context's JSON key of a section name (they are the same today; kept in one place). */
const sectionKey = (section: string) => section;

/** GET /api/context: JSON by default, a FHIR collection Bundle for Accept: application/fhir+json. */
export function registerContextRoutes(
  app: FastifyInstance,
  context: ContextService,
  policyOf: PolicyOf = allowEverything,
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
    const assembled = await context.assemble(request, policyOf(req)).catch((e: unknown) => {
      // Answered as not found; the audit record still names the patient that was asked for.
      if (e instanceof HiddenPatient) noteAccess(req, { patientIds: [e.patientId] });
      throw e;
    });
    const patientId = (assembled.context as { patient?: { id?: string } }).patient?.id;
    const omitted = request.include.filter(
      (s) => (assembled.context as unknown as Record<string, unknown>)[sectionKey(s)] === null,
    );
    noteAccess(req, { ...(patientId ? { patientIds: [patientId] } : {}), details: { omitted } });
    if (asBundle) return reply.type(FHIR_JSON).send(context.bundle(assembled));
    return reply.type('application/json').send(assembled.context);
  });
}
