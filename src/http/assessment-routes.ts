import type { FastifyInstance } from 'fastify';
import { renderAssessment, type AssessmentService } from '../assessment/index.js';
import { ADMIN_ROLES, access, noteAccess } from './security/route-access.js';

const ADMIN = access({ kind: 'roles', roles: ADMIN_ROLES });
const TYPES = new Map([
  ['json', 'application/json'],
  ['html', 'text/html; charset=utf-8'],
  ['md', 'text/markdown; charset=utf-8'],
  ['text', 'text/plain; charset=utf-8'],
]);

/**
 * POST /api/assessment (administrators): the readiness assessment of `imaging-bridge assess`,
 * the body holding its options (docs/assessment.md); JSON unless `format` asks otherwise.
 */
export function registerAssessmentRoutes(app: FastifyInstance, service: AssessmentService): void {
  app.post('/api/assessment', ADMIN, async (req, reply) => {
    const { assessment, format } = await service.run(req.body);
    noteAccess(req, {
      event: 'readiness-assessment',
      details: {
        fhir: assessment.fhir?.url ?? null,
        dicomweb: assessment.dicomweb?.url ?? null,
        dimse: assessment.dimse?.target ?? null,
        wrote: assessment.wrote,
      },
    });
    const type = TYPES.get(format) ?? 'application/json';
    if (format === 'json') return reply.type(type).send(assessment);
    return reply.type(type).send(renderAssessment(assessment, format));
  });
}
