import type { FastifyInstance } from 'fastify';
import { parseWorklistQuery, type WorklistEvent, type WorklistService } from '../applications/worklist/index.js';
import { queryParams } from '../core/query-string.js';
import { badRequest } from '../core/errors.js';
import { allowEverything, type PolicyOf } from './context-routes.js';
import { FHIR_ERRORS } from './errors.js';
import { sendEventStream } from './sse.js';
import { access, noteAccess } from './security/route-access.js';

/** What the worklist reads, for the audit record. */
const WORKLIST_READS = ['ImagingStudy', 'ServiceRequest', 'Encounter', 'Flag', 'Observation', 'DiagnosticReport'];

/**
 * The radiology worklist (docs/worklist.md): GET /api/worklist, /api/worklist/{uid} and the
 * Server-Sent Events at /api/worklist/events. Each needs read and search of every resource type
 * the score reads; items and events are filtered by the caller's patients; every access audited.
 */
export function registerWorklistRoutes(
  app: FastifyInstance,
  worklist: WorklistService,
  policyOf: PolicyOf = allowEverything,
) {
  const route = {
    config: {
      ...access({ kind: 'resources', types: ['Patient', ...WORKLIST_READS], interactions: 'rs' }).config,
      ...FHIR_ERRORS,
    },
  };
  app.get('/api/worklist', route, async (req, reply) => {
    const query = parseWorklistQuery(queryParams(req.url));
    const page = worklist.list(query, policyOf(req));
    // ONE query record naming the patients whose studies were shown (docs/worklist.md), with the
    // query as asked (the defaults when none); not every study UID: the patients are whose data
    // was disclosed.
    const asked = req.url.split('?')[1] || `status=${query.status}&limit=${query.limit}&offset=${query.offset}`;
    noteAccess(req, {
      event: 'worklist',
      patientIds: page.patientIds,
      details: { reads: WORKLIST_READS, total: page.total, query: asked },
    });
    return reply.type('application/json').send(page.body);
  });

  app.get('/api/worklist/events', route, async (req, reply) => {
    if (req.url.includes('?'))
      throw badRequest('the event stream takes no parameters', [...queryParams(req.url).keys()][0]);
    const policy = policyOf(req);
    noteAccess(req, { event: 'worklist-events', details: { reads: WORKLIST_READS } });
    return sendEventStream<WorklistEvent>(req, reply, {
      subscribe: (l) => worklist.subscribe(l),
      allowed: (e) => !e.patientId || policy.canSeePatient(e.patientId),
      hello: 'worklist events',
    });
  });

  app.get<{ Params: { uid: string } }>('/api/worklist/:uid', route, async (req, reply) => {
    const uid = req.params.uid;
    if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(uid) || uid.length > 64)
      throw badRequest('StudyInstanceUID must be a DICOM UID', 'StudyInstanceUID');
    noteAccess(req, { event: 'worklist', studyUids: [uid] });
    const item = worklist.item(uid, policyOf(req));
    noteAccess(req, { ...(item.patient.id ? { patientIds: [item.patient.id] } : {}) });
    return reply.type('application/json').send(item);
  });
}
