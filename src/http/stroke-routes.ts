import type { FastifyInstance } from 'fastify';
import {
  parseRecentQuery,
  parseStrokeQuery,
  type StrokeRunEvent,
  type StrokeService,
} from '../applications/stroke/index.js';
import { badRequest } from '../core/errors.js';
import { type ReadPool, strokeAnswer } from '../applications/read-pool/index.js';
import { HiddenPatient } from '../context/index.js';
import { queryParams } from '../core/query-string.js';
import { allowEverything, type PolicyOf } from './context-routes.js';
import { FHIR_ERRORS } from './errors.js';
import { sendEventStream } from './sse.js';
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
  pool?: ReadPool,
) {
  const route = {
    config: { ...access({ kind: 'resources', types: ['Patient'], interactions: 'r' }).config, ...FHIR_ERRORS },
  };
  app.get('/api/stroke/assessment', route, async (req, reply) => {
    const request = parseStrokeQuery(queryParams(req.url));
    noteAccess(req, {
      event: 'stroke-assessment',
      details: { sections: STROKE_SECTIONS, guideline: request.guideline },
      ...('id' in request.patient ? { patientIds: [request.patient.id] } : {}),
      ...(request.studyUid ? { studyUids: [request.studyUid] } : {}),
    });
    const policy = policyOf(req);
    // With a read pool the check runs on a read thread (applications/read-pool).
    const answer = await (pool ? pool.stroke(request, policy) : strokeAnswer(stroke, request, policy)).catch(
      (e: unknown) => {
        // Answered as not found; the audit record still names the patient that was asked for.
        if (e instanceof HiddenPatient) noteAccess(req, { patientIds: [e.patientId] });
        throw e;
      },
    );
    noteAccess(req, { patientIds: [answer.patientId!], details: { complete: answer.complete } });
    return reply.type('application/json').send(answer.json);
  });

  // The latest persisted runs (docs/stroke.md, "Recent checks"): reads Lists and their DetectedIssues.
  const recent = {
    config: {
      ...access({ kind: 'resources', types: ['List', 'DetectedIssue'], interactions: 'rs' }).config,
      ...FHIR_ERRORS,
    },
  };
  app.get('/api/stroke/recent', recent, async (req, reply) => {
    const request = parseRecentQuery(queryParams(req.url));
    noteAccess(req, {
      event: 'stroke-recent',
      details: { limit: request.limit, offset: request.offset },
      ...(request.patient ? { patientIds: [request.patient] } : {}),
    });
    const page = await stroke.recent(request, policyOf(req));
    noteAccess(req, {
      patientIds: page.runs.flatMap((r) => (r.patient ? [r.patient.id] : [])),
      studyUids: page.runs.map((r) => r.studyInstanceUid),
    });
    return reply.type('application/json').send(page);
  });

  // Live news of the checks (a run written), for the console's Stroke page; filtered by the caller's patients.
  app.get('/api/stroke/events', recent, async (req, reply) => {
    if (req.url.includes('?'))
      throw badRequest('the event stream takes no parameters', [...queryParams(req.url).keys()][0]);
    const policy = policyOf(req);
    noteAccess(req, { event: 'stroke-events', details: { reads: ['List', 'DetectedIssue'] } });
    return sendEventStream<StrokeRunEvent>(req, reply, {
      subscribe: (l) => stroke.events.subscribe(l),
      allowed: (e) => policy.canSeePatient(e.patientId),
      hello: 'stroke events',
    });
  });
}
