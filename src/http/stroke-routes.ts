import type { FastifyInstance } from 'fastify';
import { type StrokeService, parseStrokeQuery } from '../clinical/stroke/index.js';
import { HiddenPatient } from '../context/index.js';
import { allowEverything, type PolicyOf, sendOutcome } from './context-routes.js';
import { queryParams } from './query-string.js';
import { access, noteAccess } from './security/route-access.js';

/** What the check reads, for the audit record (the context API's form). */
const STROKE_SECTIONS = ['observations', 'conditions', 'procedures', 'medications', 'results'];

/**
 * GET /api/stroke/assessment: the thrombolysis contraindication check (docs/stroke.md). Same
 * route rule as /api/context (Patient read); each clinical section is then filtered by the
 * caller's own search scopes, a denied one reported in `sources` and its factors unknown.
 */
export function registerStrokeRoutes(
  app: FastifyInstance,
  stroke: StrokeService,
  policyOf: PolicyOf = allowEverything,
) {
  app.get(
    '/api/stroke/assessment',
    access({ kind: 'resources', types: ['Patient'], interactions: 'r' }),
    async (req, reply) => {
      try {
        const request = parseStrokeQuery(queryParams(req.url));
        noteAccess(req, {
          event: 'stroke-assessment',
          details: { sections: STROKE_SECTIONS, guideline: request.guideline },
          ...('id' in request.patient ? { patientIds: [request.patient.id] } : {}),
          ...(request.studyUid ? { studyUids: [request.studyUid] } : {}),
        });
        const assessment = await stroke.assess(request, policyOf(req));
        noteAccess(req, { patientIds: [assessment.patient.id], details: { complete: assessment.complete } });
        return reply.type('application/json').send(assessment);
      } catch (e) {
        if (e instanceof HiddenPatient) noteAccess(req, { patientIds: [e.patientId] });
        return sendOutcome(reply, e, req.log);
      }
    },
  );
}
