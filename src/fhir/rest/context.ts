import type { Principal } from '../../auth/principal.js';
import type { SearchParamRegistry } from '../definitions/search-params.js';
import type { FhirRepository } from '../repository/repository.js';
import type { FhirResource } from '../types.js';
import { httpDate } from '../search/fhir-dates.js';
import type { BatchLimits } from './batch-limits.js';

/** A FHIR REST request without its transport: what an HTTP adapter or a Bundle entry gives. */
export interface FhirRequest {
  method: string;
  /** Below the FHIR base, without leading slash: `Patient/123/_history/2`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  /** Raw body text (already parsed JSON when it comes from a Bundle entry). */
  body?: unknown;
  /** Set only by transaction processing: the id reserved for a urn:uuid placeholder. */
  assignedId?: string;
  /**
   * The verified caller, whose SMART scopes and roles limit what this request may do. Absent:
   * the service's own call (the bridge, internal writers), not restricted.
   */
  principal?: Principal;
  /**
   * The caller validated the body against R4 already (the bridge: validate-before-write.ts, a
   * superset of the server's check), so create and update do not validate it again. Set only
   * by an in-process transport built for such a caller; the HTTP adapter never sets it.
   */
  validated?: boolean;
  /** Set by the router: what the request accessed; handlers add the patients they touch. */
  record?: AccessRecord;
}

export interface FhirResponse {
  status: number;
  headers: Record<string, string>;
  body?: FhirResource;
  /** What was accessed, for the audit trail (set by FhirRouter.handle, on success and failure). */
  access?: AccessRecord;
}

export type FhirInteraction =
  | 'read'
  | 'vread'
  | 'search-type'
  | 'history-instance'
  | 'history-type'
  | 'history-system'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'batch'
  | 'transaction'
  | 'capabilities'
  | 'operation'
  | 'unknown';

/** One interaction as the audit trail needs it (BALP: subtype, entity, patient). */
export interface AccessRecord {
  interaction: FhirInteraction;
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** The search or condition query as received (a POST _search's form body included). */
  query?: string;
  /** Patients whose compartment the request touched (read, written, or named by a search). */
  patientIds: string[];
  /** Batch and transaction: one record per entry, in Bundle order. */
  entries?: AccessRecord[];
  /** Per entry of a batch or transaction: the entry's status. */
  status?: number;
}

export interface RouterContext {
  repo: FhirRepository;
  registry: SearchParamRegistry;
  baseUrl: string;
  defaultCount: number;
  maxCount: number;
  /** Caps on one batch or transaction (entries, summed _count). */
  batchLimits: BatchLimits;
  now: () => number;
  inTransaction: boolean;
  /** Server-side changes to a resource about to be stored by a create, update or patch (see FhirRouterOptions). */
  beforeWrite?: (resource: FhirResource, req: FhirRequest) => FhirResource | Promise<FhirResource>;
}

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** A resource response with the version headers every read and write carries. */
export function resourceResponse(
  status: number,
  resource: FhirResource,
  ctx: RouterContext,
  req?: FhirRequest,
): FhirResponse {
  const headers: Record<string, string> = { 'content-type': FHIR_JSON };
  const version = resource.meta?.versionId;
  if (version) headers.etag = `W/"${version}"`;
  if (resource.meta?.lastUpdated) headers['last-modified'] = httpDate(resource.meta.lastUpdated);
  if (status === 201 || (req && req.method !== 'GET')) {
    headers.location = `${ctx.baseUrl}/${resource.resourceType}/${resource.id}${version ? `/_history/${version}` : ''}`;
  }
  const prefer = req?.headers.prefer ?? '';
  if (/return=minimal/.test(prefer)) return { status, headers };
  if (/return=OperationOutcome/i.test(prefer)) {
    return {
      status,
      headers,
      body: {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'information',
            code: 'informational',
            diagnostics: `${resource.resourceType}/${resource.id} version ${version}`,
          },
        ],
      },
    };
  }
  return { status, headers, body: resource };
}

export function outcomeResponse(status: number, text: string): FhirResponse {
  return {
    status,
    headers: { 'content-type': FHIR_JSON },
    body: {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics: text }],
    },
  };
}

/** The versionId of a weak or strong ETag (`W/"3"` → `3`). */
export function etagVersion(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return /^(?:W\/)?"?([^"]*)"?$/.exec(etag.trim())?.[1];
}
