import type { FastifyInstance } from 'fastify';
import type { AiResultsService } from '../ai-results/index.js';
import { allowEverything, type PolicyOf } from './context-routes.js';
import { FHIR_ERRORS } from './errors.js';
import { access, noteAccess } from './security/route-access.js';

/** POST /api/ai-results: 201 with the DiagnosticReport id (Location: its FHIR URL); 400/403/422 OperationOutcome. */
export function registerAiResultsRoutes(
  app: FastifyInstance,
  service: AiResultsService,
  fhirBase: string,
  policyOf: PolicyOf = allowEverything,
): void {
  app.post(
    '/api/ai-results',
    {
      config: {
        ...access({ kind: 'resources', types: ['DiagnosticReport', 'Observation'], interactions: 'c' }).config,
        ...FHIR_ERRORS,
      },
    },
    async (req, reply) => {
      const studyUid = (req.body as { studyInstanceUid?: unknown } | undefined)?.studyInstanceUid;
      if (typeof studyUid === 'string') noteAccess(req, { event: 'ai-results', studyUids: [studyUid] });
      const written = await service.submit(req.body, policyOf(req));
      noteAccess(req, { details: { diagnosticReportId: written.diagnosticReportId } });
      return reply
        .code(201)
        .header('location', `${fhirBase}/${written.diagnosticReport}`)
        .type('application/json')
        .send(written);
    },
  );
}
