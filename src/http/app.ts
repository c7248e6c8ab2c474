import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import type { Bridge } from '../bridge/sync/index.js';
import type { QidoService } from '../dicomweb/qido/index.js';
import { registerFhirRoutes } from '../fhir/http/fastify-routes.js';
import type { FhirRouter } from '../fhir/rest/router.js';
import type { AiResultsService } from '../ai-results/index.js';
import type { ContextService } from '../context/index.js';
import { registerAiResultsRoutes } from './ai-results-routes.js';
import { registerContextRoutes, type PolicyOf } from './context-routes.js';
import { registerDataQualityRoutes } from './data-quality-routes.js';
import { registerDicomweb } from './dicomweb-routes.js';
import { errorHandler, sendError } from './errors.js';
import { registerSourcesRoutes, type SourcesStatusPort } from './sources-routes.js';

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
  /** AI results written back as FHIR: POST /api/ai-results. */
  aiResults?: AiResultsService;
  /** What each caller may see; everything under --auth none (the security issue plugs in here). */
  policyOf?: PolicyOf;
  publicUrl: string;
  logger: Logger;
}

/** The HTTP edge. Routes are thin: each calls a transport-free handler. */
export function buildHttpApp(ports: HttpPorts): FastifyInstance {
  const app = Fastify({
    loggerInstance: ports.logger as unknown as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: () => Math.random().toString(36).slice(2, 12),
    bodyLimit: 10 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `no route for ${req.method} ${req.url.split('?')[0]}`));

  app.get('/health', async (_req, reply) => {
    const started = Date.now();
    try {
      const { instances } = ports.archive.index.check();
      const freeBytes = await ports.archive.blobs.freeBytes();
      return reply.send({ status: 'ok', storage: { index: 'ok', blobs: 'ok', instances, freeBytes, checkMs: Date.now() - started } });
    } catch (e) {
      return reply.code(503).send({ status: 'unavailable', storage: { error: (e as Error).message } });
    }
  });
  registerDicomweb(app, ports);
  if (ports.fhir) registerFhirRoutes(app, ports.fhir);
  if (ports.bridge) registerDataQualityRoutes(app, ports.bridge);
  if (ports.sources) registerSourcesRoutes(app, ports.sources);
  if (ports.context) registerContextRoutes(app, ports.context, ports.policyOf);
  if (ports.aiResults) registerAiResultsRoutes(app, ports.aiResults, `${ports.publicUrl.replace(/\/+$/, '')}/fhir`, ports.policyOf);
  return app;
}
