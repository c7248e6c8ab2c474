import { drainConnectionsOnClose } from './connection-drain.js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import type { Bridge } from '../bridge/sync/index.js';
import type { QidoService } from '../archive/query/index.js';
import { registerFhirRoutes } from './fhir-routes.js';
import type { FhirRouter } from '../fhir/rest/router.js';
import type { AiResultsService } from '../ai-results/index.js';
import type { ContextService } from '../context/index.js';
import type { StrokeService } from '../applications/stroke/index.js';
import { registerAccessAdminRoutes } from './access-admin-routes.js';
import { registerStorageRoutes, type StorageAdminPort } from './storage-routes.js';
import type { OncologyService } from '../applications/oncology/index.js';
import { registerAiResultsRoutes } from './ai-results-routes.js';
import type { AccessAdmin } from '../security/oauth/index.js';
import { registerAssessmentRoutes } from './assessment-routes.js';
import type { AssessmentService } from '../assessment/index.js';
import { registerConsoleRoutes, type ConsoleOptions } from './console-routes.js';
import { registerContextRoutes, type PolicyOf } from './context-routes.js';
import { registerDataQualityRoutes } from './data-quality-routes.js';
import { registerDicomweb } from './dicomweb-routes.js';
import type { Renderer } from '../dicomweb/render/renderer.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { registerSourcesRoutes, type SourcesStatusPort } from './sources-routes.js';
import { registerStrokeRoutes } from './stroke-routes.js';
import type { ReadPool } from '../applications/read-pool/index.js';
import { registerOncologyRoutes } from './oncology-routes.js';
import { registerWorklistRoutes } from './worklist-routes.js';
import type { WorklistService } from '../applications/worklist/index.js';
import {
  registerAccessControl,
  type AccessControlOptions,
  type RouteRule,
  type ScopeDecisions,
} from './security/access-control.js';
import { registerAuditHook, type AccessRecorder } from './security/audit-hook.js';
import { registerRequestDeadline, serverTimeouts, type RequestDeadlines } from './security/request-deadline.js';
import { PUBLIC } from './security/route-access.js';

export interface HttpPorts {
  archive: Archive;
  qido: QidoService;
  /** The embedded FHIR R4 server, served at /fhir. */
  fhir?: FhirRouter;
  /** The DICOM → FHIR sync: /api/sync, /api/data-quality, /api/quarantine. */
  bridge?: Bridge;
  /** Watched PACS: GET /api/sources. */
  sources?: SourcesStatusPort;
  /** Patient context for AI tools: GET /api/context. */
  context?: ContextService;
  /** The stroke thrombolysis check: GET /api/stroke/assessment. */
  stroke?: StrokeService;
  /** The tumor-board summary: GET /api/oncology/summary. */
  oncology?: OncologyService;
  /** The radiology worklist: GET /api/worklist, /api/worklist/{uid}, /api/worklist/events. */
  worklist?: WorklistService;
  /** The readiness assessment: POST /api/assessment (administrators). */
  assessment?: AssessmentService;
  /** AI results written back as FHIR: POST /api/ai-results. */
  aiResults?: AiResultsService;
  /** What each caller may see (its scopes and patient); everything under --auth none. */
  policyOf?: PolicyOf;
  /** The context and stroke reads on worker threads (embedded SQLite store); absent: in process. */
  readPool?: ReadPool;
  /** Authentication and route authorization; omitted = --auth none with every scope. */
  accessControl?: AccessControlOptions;
  /** The audit trail: every access to a protected route, before its response leaves. */
  recordAccess?: AccessRecorder;
  /** Mounts library routes (the OAuth server) after access control is in place. */
  extraRoutes?: (app: FastifyInstance) => void;
  /** HTTPS: PEM certificate and key (HSTS is sent with every answer). */
  https?: { cert: Buffer; key: Buffer };
  /** How long a request may take to arrive (public/unauthenticated, authenticated); default 10 s / 900 s. */
  deadlines?: RequestDeadlines;
  /** The web console at `/` (static files of its build) and its start-up configuration. */
  console?: ConsoleOptions;
  /** Study UIDs of a Patient, for patient-bound DICOMweb access. */
  studiesOfPatient?: (patientId: string) => Promise<string[]>;
  /** Pack compaction for administrators: /api/admin/storage/compaction (docs/storage.md). */
  storage?: StorageAdminPort;
  /** Users and OAuth clients for administrators: /api/admin/users, /api/admin/clients (--auth smart). */
  accessAdmin?: AccessAdmin;
  /** Rendered and thumbnail resources (closed with the app); default: a renderer with default options. */
  render?: Renderer;
  publicUrl: string;
  logger: Logger;
}

const ALLOW_ALL_DECISIONS: ScopeDecisions = { permits: () => true, dicomweb: () => ({ allowed: true }) };

const ROUTE_RULES = new WeakMap<FastifyInstance, RouteRule[]>();

/** Every route of the app with its access rule, as registered (read at run time, e.g. by the route-matrix test). */
export const routeRules = (app: FastifyInstance): readonly RouteRule[] => ROUTE_RULES.get(app) ?? [];

/** The HTTP edge. Routes are thin: each calls a transport-free handler. */
export function buildHttpApp(ports: HttpPorts): FastifyInstance {
  const deadlines = ports.deadlines ?? { publicMs: 10_000, authenticatedMs: 900_000 };
  const timeouts = serverTimeouts(deadlines);
  const app = Fastify({
    ...(ports.https
      ? { https: { cert: ports.https.cert, key: ports.https.key, minVersion: 'TLSv1.2' as const, ...timeouts } }
      : { http: timeouts }),
    requestTimeout: timeouts.requestTimeout,
    loggerInstance: ports.logger as unknown as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: () => Math.random().toString(36).slice(2, 12),
    bodyLimit: 10 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  app.setErrorHandler(errorHandler);
  drainConnectionsOnClose(app);
  registerRequestDeadline(app, deadlines);
  const rules = registerAccessControl(
    app,
    ports.accessControl ?? { mode: 'none', decisions: ALLOW_ALL_DECISIONS, realm: ports.publicUrl },
  );
  ROUTE_RULES.set(app, rules);
  if (ports.recordAccess) registerAuditHook(app, ports.recordAccess);
  if (ports.https) {
    app.addHook('onSend', async (_req, reply, payload) => {
      reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
      return payload;
    });
  }
  ports.extraRoutes?.(app);
  app.setNotFoundHandler(notFoundHandler);

  app.get('/health', PUBLIC, async (_req, reply) => {
    const started = Date.now();
    try {
      const { instances } = await ports.archive.check();
      const freeBytes = await ports.archive.blobs.freeBytes();
      return reply.send({
        status: 'ok',
        storage: { index: 'ok', blobs: 'ok', instances, freeBytes, checkMs: Date.now() - started },
      });
    } catch (e) {
      return reply.code(503).send({ status: 'unavailable', storage: { error: (e as Error).message } });
    }
  });
  registerDicomweb(app, ports);
  if (ports.fhir) {
    registerFhirRoutes(app, ports.fhir, '/fhir', {
      principalOf: (req) => req.principal,
      onAccess: (req, a, status) => {
        req.accessNote = { event: 'fhir', patientIds: a.patientIds, details: { ...a, status } };
      },
    });
  }
  if (ports.bridge) registerDataQualityRoutes(app, ports.bridge);
  if (ports.sources) registerSourcesRoutes(app, ports.sources);
  if (ports.context) registerContextRoutes(app, ports.context, ports.policyOf, ports.readPool);
  if (ports.stroke) registerStrokeRoutes(app, ports.stroke, ports.policyOf, ports.readPool);
  if (ports.oncology) registerOncologyRoutes(app, ports.oncology, ports.policyOf);
  if (ports.worklist) registerWorklistRoutes(app, ports.worklist, ports.policyOf);
  if (ports.assessment) registerAssessmentRoutes(app, ports.assessment);
  if (ports.aiResults)
    registerAiResultsRoutes(app, ports.aiResults, `${ports.publicUrl.replace(/\/+$/, '')}/fhir`, ports.policyOf);
  if (ports.accessAdmin) registerAccessAdminRoutes(app, ports.accessAdmin);
  if (ports.storage) registerStorageRoutes(app, ports.storage);
  if (ports.console) registerConsoleRoutes(app, ports.console);
  return app;
}
