import type { FastifyInstance } from 'fastify';
import {
  type OncologyService,
  parseOncologyQuery,
  SUMMARY_CSP,
  summaryDocument,
  summaryHtml,
} from '../applications/oncology/index.js';
import { HiddenPatient } from '../context/index.js';
import { notAcceptable } from '../core/errors.js';
import { queryParams } from '../core/query-string.js';
import { allowEverything, type PolicyOf } from './context-routes.js';
import { FHIR_ERRORS } from './errors.js';
import { access, noteAccess } from './security/route-access.js';

/** What the summary reads, for the audit record (the context API's form). */
const ONCOLOGY_SECTIONS = ['observations', 'conditions', 'medications', 'procedures', 'studies', 'lesions'];
const FHIR_JSON = 'application/fhir+json';

/**
 * GET /api/oncology/summary: the RECIST 1.1 comparison and tumor-board summary (docs/oncology.md)
 * as JSON, printable HTML or a FHIR document Bundle. Same route rule as /api/context (Patient
 * read); each part is then filtered by the caller's own search scopes (a denied one in `sources`).
 */
export function registerOncologyRoutes(
  app: FastifyInstance,
  oncology: OncologyService,
  policyOf: PolicyOf = allowEverything,
) {
  const route = {
    config: { ...access({ kind: 'resources', types: ['Patient'], interactions: 'r' }).config, ...FHIR_ERRORS },
  };
  app.get('/api/oncology/summary', route, async (req, reply) => {
    const accept = req.headers.accept ?? '';
    const format = accept.includes(FHIR_JSON)
      ? 'fhir'
      : /text\/html/i.test(accept)
        ? 'html'
        : !accept || /json|\*\/\*|application\/\*/i.test(accept)
          ? 'json'
          : undefined;
    if (!format) throw notAcceptable(`Accept: ${accept}: the summary is application/json, text/html or ${FHIR_JSON}`);
    const request = parseOncologyQuery(queryParams(req.url));
    noteAccess(req, {
      event: 'oncology-summary',
      details: { sections: ONCOLOGY_SECTIONS, format },
      ...('id' in request.patient ? { patientIds: [request.patient.id] } : {}),
      ...(request.baseline ? { studyUids: [request.baseline] } : {}),
    });
    const summary = await oncology.summary(request, policyOf(req)).catch((e: unknown) => {
      // Answered as not found; the audit record still names the patient that was asked for.
      if (e instanceof HiddenPatient) noteAccess(req, { patientIds: [e.patientId] });
      throw e;
    });
    noteAccess(req, { patientIds: [summary.patient.id], details: { complete: summary.complete } });
    if (format === 'html')
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', SUMMARY_CSP)
        .header('x-content-type-options', 'nosniff')
        .send(summaryHtml(summary));
    if (format === 'fhir') return reply.type(FHIR_JSON).send(summaryDocument(summary, oncology.clinicalBase));
    return reply.type('application/json').send(summary);
  });
}
