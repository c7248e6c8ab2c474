import { own } from '../../core/own.js';
import type { SearchParamRegistry } from '../definitions/search-params.js';
import { asOutcomeError, methodNotAllowed, notAcceptable, notFound } from '../../core/errors.js';
import type { FhirRepository } from '../repository/repository.js';
import type { FhirResource } from '../types.js';
import { checkInteraction, describeRequest } from './authorize.js';
import { outgoing, type BeforeSend } from './before-send.js';
import { BATCH_LIMITS_DEFAULTS, type BatchLimits } from './batch-limits.js';
import { processBundle } from './bundle-handler.js';
import { READ_ONLY_TYPES, capabilityStatement } from './capability-statement.js';
import { FHIR_JSON, type FhirRequest, type FhirResponse, type RouterContext } from './context.js';
import { conditionalDelete, conditionalUpdate, create, read, remove, update, vread } from './crud-handlers.js';
import { history } from './history-handler.js';
import { patch } from './patch-handler.js';
import { search } from './search-handler.js';

export interface FhirRouterOptions {
  repo: FhirRepository;
  registry: SearchParamRegistry;
  /** Public base URL of the FHIR endpoint (…/fhir): fullUrl, Location and paging links use it. */
  baseUrl: string;
  defaultCount?: number;
  maxCount?: number;
  /** Caps on one batch or transaction (default BATCH_LIMITS_DEFAULTS). */
  batchLimits?: BatchLimits;
  version?: string;
  now?: () => number;
  /** Told about unexpected (500) failures; the response never carries their message. */
  onError?: (error: unknown) => void;
  /**
   * Server-side changes to every resource a create, update or patch is about to store, also
   * inside batches and transactions: what the server manages (e.g. who created a Subscription)
   * cannot be set or changed by the client's body.
   */
  beforeWrite?: (resource: FhirResource, req: FhirRequest) => FhirResource | Promise<FhirResource>;
  /**
   * Server-side changes to every resource a response carries (inside Bundles too), e.g. secrets
   * only some callers may see. Not applied by searchLocal/readLocal (in-process, no principal).
   */
  beforeSend?: BeforeSend;
}

type Handler = (ctx: RouterContext, req: FhirRequest, p: string[]) => Promise<FhirResponse>;

/**
 * The FHIR R4 REST API without its transport: (method, path, query, headers, body) → (status,
 * headers, body). Knows nothing of HTTP servers or SQL; every failure is an OperationOutcome.
 */
export class FhirRouter {
  private readonly ctx: RouterContext;
  private readonly capability: FhirResource;
  private readonly onError: (error: unknown) => void;
  private readonly beforeSend: BeforeSend | undefined;

  constructor(options: FhirRouterOptions) {
    const now = options.now ?? Date.now;
    this.ctx = {
      repo: options.repo,
      registry: options.registry,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      defaultCount: options.defaultCount ?? 20,
      maxCount: options.maxCount ?? 1000,
      batchLimits: options.batchLimits ?? BATCH_LIMITS_DEFAULTS,
      now,
      inTransaction: false,
      ...(options.beforeWrite ? { beforeWrite: options.beforeWrite } : {}),
    };
    this.capability = capabilityStatement(
      options.registry,
      this.ctx.baseUrl,
      options.version ?? '0.0.0',
      new Date(now()).toISOString(),
    );
    this.onError = options.onError ?? (() => undefined);
    this.beforeSend = options.beforeSend;
  }

  /**
   * Answers one request. With `req.principal`, its SMART scopes and roles are enforced (403
   * OperationOutcome otherwise); the response's `access` says what was accessed, for the audit.
   */
  async handle(req: FhirRequest): Promise<FhirResponse> {
    const request: FhirRequest = { ...req };
    try {
      checkFormat(request);
      const dispatched = await this.dispatch(this.ctx, request);
      const res = this.beforeSend ? outgoing(dispatched, request, this.beforeSend) : dispatched;
      return request.record ? { ...res, access: request.record } : res;
    } catch (e) {
      const err = asOutcomeError(e);
      if (err.status >= 500) this.onError(e);
      const res: FhirResponse = {
        status: err.status,
        headers: { 'content-type': FHIR_JSON, ...err.headers },
        body: err.outcome,
      };
      return request.record ? { ...res, access: request.record } : res;
    }
  }

  /**
   * GET [type]?query and GET [type]/[id] for an in-process caller, without a request to encode,
   * route and decode: the same handlers, so the same Bundle or resource `handle()` answers with,
   * and failures as OperationOutcomeErrors. There is no principal: the caller applies its own
   * access policy (the patient context does, section by section, with the caller's scopes).
   * About a third less time per patient context than going through handle().
   */
  async searchLocal(type: string, query: URLSearchParams): Promise<FhirResponse> {
    return this.local(() => {
      if (!this.ctx.registry.isResourceType(type))
        throw notFound(`${type} is not a FHIR R4 resource type or operation this server supports`);
      return search(this.ctx, { method: 'GET', path: type, query, headers: {} }, type);
    });
  }

  async readLocal(type: string, id: string): Promise<FhirResponse> {
    return this.local(() => {
      if (!this.ctx.registry.isResourceType(type))
        throw notFound(`${type} is not a FHIR R4 resource type or operation this server supports`);
      return read(
        this.ctx,
        { method: 'GET', path: `${type}/${id}`, query: new URLSearchParams(), headers: {} },
        type,
        id,
      );
    });
  }

  private async local(run: () => Promise<FhirResponse>): Promise<FhirResponse> {
    try {
      return await run();
    } catch (e) {
      const err = asOutcomeError(e);
      if (err.status >= 500) this.onError(e);
      throw err;
    }
  }

  private readonly dispatch = (ctx: RouterContext, req: FhirRequest): Promise<FhirResponse> => {
    const parts = req.path.split('/').filter(Boolean);
    req.record = describeRequest(req, parts);
    const [handlers, params] = this.route(parts);
    const handler = own(handlers, req.method === 'HEAD' ? 'GET' : req.method);
    if (!handler)
      throw methodNotAllowed(
        `${req.method} is not allowed on /${parts.join('/')} (allowed: ${Object.keys(handlers).join(', ')})`,
      );
    if (
      req.method !== 'GET' &&
      req.method !== 'HEAD' &&
      !(req.method === 'POST' && parts[1] === '_search') &&
      READ_ONLY_TYPES.has(parts[0])
    ) {
      throw methodNotAllowed(`${parts[0]} is read-only through the API`);
    }
    checkInteraction(req, req.record);
    return handler(ctx, req, params);
  };

  /** The handlers for a path, by method, and the path's variable parts. */
  private route(p: string[]): [Record<string, Handler>, string[]] {
    if (p.length === 0) return [{ POST: (c, r) => processBundle(c, r, this.dispatch) }, []];
    if (p.length === 1 && p[0] === 'metadata')
      return [
        { GET: async () => ({ status: 200, headers: { 'content-type': FHIR_JSON }, body: this.capability }) },
        [],
      ];
    if (p.length === 1 && p[0] === '_history') return [{ GET: (c, r) => history(c, r, {}) }, []];
    const type = p[0];
    if (!this.ctx.registry.isResourceType(type))
      throw notFound(`${type} is not a FHIR R4 resource type or operation this server supports`);
    if (p.length === 1) {
      return [
        {
          GET: (c, r) => search(c, r, type),
          POST: (c, r) => create(c, r, type),
          PUT: (c, r) => conditionalUpdate(c, r, type),
          DELETE: (c, r) => conditionalDelete(c, r, type),
        },
        [],
      ];
    }
    if (p.length === 2 && p[1] === '_search') return [{ POST: (c, r) => search(c, r, type) }, []];
    if (p.length === 2 && p[1] === '_history') return [{ GET: (c, r) => history(c, r, { resourceType: type }) }, []];
    if (p[1].startsWith('$') || p[1].startsWith('_')) throw notFound(`/${p.join('/')} is not supported`);
    const id = p[1];
    if (p.length === 2) {
      return [
        {
          GET: (c, r) => read(c, r, type, id),
          PUT: (c, r) => update(c, r, type, id),
          PATCH: (c, r) => patch(c, r, type, id),
          DELETE: (c, r) => remove(c, r, type, id),
        },
        [],
      ];
    }
    if (p.length === 3 && p[2] === '_history')
      return [{ GET: (c, r) => history(c, r, { resourceType: type, id }) }, []];
    if (p.length === 4 && p[2] === '_history') return [{ GET: (c, r) => vread(c, r, type, id, p[3]) }, []];
    throw notFound(`/${p.join('/')} is not supported`);
  }
}

/** JSON only: `_format` or an Accept that excludes JSON is a 406. */
function checkFormat(req: FhirRequest): void {
  const format = req.query.get('_format');
  if (format !== null && !/json/i.test(format)) throw notAcceptable(`_format=${format}: only JSON is supported`);
  const accept = req.headers.accept;
  if (accept && !/json|\*\/\*|application\/\*/i.test(accept))
    throw notAcceptable(`Accept: ${accept}: only application/fhir+json is supported`);
}
