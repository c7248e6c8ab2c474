import { ID_PATTERN } from '../repository/repository.js';
import {
  openResource,
  type AnyResource,
  type Bundle,
  type FhirResource,
  type OperationOutcome,
  type ResourceOf,
} from '../types.js';
import { FhirClientError, FhirProtocolError, FhirServerError, outcomeOfStatus } from './errors.js';
import type { FhirClient, PagingOptions, SearchAllOptions, SearchParams } from './fhir-client.js';
import { pathBelowBase } from './links.js';
import type { FhirTransport, TransportRequest, TransportResponse } from './transport.js';

const TYPE_PATTERN = /^[A-Z][A-Za-z]{1,63}$/;
const REPRESENTATION = { prefer: 'return=representation' };

/** The FhirClient interactions over any transport: what differs between in-process and HTTP is only how bytes move. */
export class RestFhirClient implements FhirClient {
  constructor(private readonly transport: FhirTransport) {}

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  async capabilities(): Promise<FhirResource> {
    const res = await this.call({ method: 'GET', path: 'metadata', idempotent: true, interaction: 'capabilities' });
    return expectType(res, 'CapabilityStatement', 'capabilities');
  }

  async read<K extends string>(resourceType: K, id: string): Promise<ResourceOf<K>> {
    const interaction = `read ${resourceType}`;
    const res = await this.call({
      method: 'GET',
      path: instancePath(resourceType, id, interaction),
      idempotent: true,
      interaction,
    });
    return expectType(res, resourceType, interaction) as ResourceOf<K>;
  }

  async search(resourceType: string, params: SearchParams = {}): Promise<Bundle> {
    const interaction = `search ${resourceType}`;
    checkType(resourceType, interaction);
    const res = await this.call({
      method: 'GET',
      path: resourceType,
      query: encodeParams(params),
      idempotent: true,
      interaction,
    });
    return expectType(res, 'Bundle', interaction) as Bundle;
  }

  async *pages(resourceType: string, params: SearchParams = {}, options: PagingOptions = {}): AsyncIterable<Bundle> {
    const interaction = `search ${resourceType}`;
    const maxPages = options.maxPages ?? 100;
    let page: Bundle | undefined = await this.search(resourceType, params);
    for (let n = 1; page; n++) {
      yield page;
      const next = page.link?.find((l) => l.relation === 'next')?.url;
      if (!next || n >= maxPages) return;
      const { path, query } = pathBelowBase(this.baseUrl, next, interaction);
      const res = await this.call({ method: 'GET', path, query, idempotent: true, interaction });
      page = expectType(res, 'Bundle', interaction) as Bundle;
    }
  }

  async searchAll<K extends string>(
    resourceType: K,
    params: SearchParams = {},
    options: SearchAllOptions = {},
  ): Promise<ResourceOf<K>[]> {
    const max = options.maxResources ?? 10_000;
    const out: ResourceOf<K>[] = [];
    for await (const page of this.pages(resourceType, params, options)) {
      for (const entry of page.entry ?? []) {
        // Matches are of the searched type (a server that answers otherwise is not checked here, as before).
        if (entry.resource && (entry.search?.mode ?? 'match') === 'match') out.push(entry.resource as ResourceOf<K>);
        if (out.length >= max) return out;
      }
    }
    return out;
  }

  async create<T extends AnyResource>(resource: T): Promise<T & FhirResource> {
    return (await this.post(resource, undefined)).resource;
  }

  async createIfNoneExist<T extends AnyResource>(
    resource: T,
    condition: SearchParams,
  ): Promise<{ resource: T & FhirResource; created: boolean }> {
    const ifNoneExist = encodeParams(condition);
    if (!ifNoneExist)
      throw new FhirClientError(
        `create ${resource.resourceType}: a conditional create needs a condition`,
        `create ${resource.resourceType}`,
        0,
      );
    return this.post(resource, ifNoneExist);
  }

  async update<T extends AnyResource>(resource: T, options: { ifMatch?: string } = {}): Promise<T & FhirResource> {
    const interaction = `update ${resource.resourceType}`;
    if (resource.id === undefined) throw new FhirClientError(`${interaction}: the resource has no id`, interaction, 0);
    const headers: Record<string, string> = { ...REPRESENTATION };
    if (options.ifMatch !== undefined) headers['if-match'] = `W/"${options.ifMatch}"`;
    const path = instancePath(resource.resourceType, resource.id, interaction);
    const res = await this.call({
      method: 'PUT',
      path,
      headers,
      body: openResource(resource),
      idempotent: true,
      interaction,
    });
    return (await this.written(res, resource.resourceType, interaction)) as T & FhirResource;
  }

  async transaction(bundle: Bundle): Promise<Bundle> {
    const interaction = `${bundle.type ?? 'transaction'} Bundle`;
    const res = await this.call({ method: 'POST', path: '', body: bundle, idempotent: false, interaction });
    return expectType(res, 'Bundle', interaction) as Bundle;
  }

  private async post<T extends AnyResource>(
    resource: T,
    ifNoneExist: string | undefined,
  ): Promise<{ resource: T & FhirResource; created: boolean }> {
    const interaction = `create ${resource.resourceType}`;
    checkType(resource.resourceType, interaction);
    const headers: Record<string, string> = { ...REPRESENTATION };
    if (ifNoneExist) headers['if-none-exist'] = ifNoneExist;
    const request: TransportRequest = {
      method: 'POST',
      path: resource.resourceType,
      headers,
      body: openResource(resource),
      idempotent: ifNoneExist !== undefined,
      interaction,
    };
    const res = await this.call(request);
    const written = (await this.written(res, resource.resourceType, interaction)) as T & FhirResource;
    return { resource: written, created: res.status === 201 };
  }

  /** The resource a write answered with; servers told `return=minimal` by policy give only a Location, so read that. */
  private async written(res: TransportResponse, resourceType: string, interaction: string): Promise<FhirResource> {
    if (res.body?.resourceType === resourceType) return res.body;
    const location = res.headers['content-location'] ?? res.headers.location;
    if (!location)
      throw new FhirProtocolError(interaction, 'the answer has neither the resource nor a Location', res.attempts);
    const { path } = pathBelowBase(this.baseUrl, location, interaction);
    return expectType(
      await this.call({ method: 'GET', path, idempotent: true, interaction }),
      resourceType,
      interaction,
    );
  }

  private async call(request: TransportRequest): Promise<TransportResponse> {
    const res = await this.transport.send(request);
    if (res.status >= 400) {
      const outcome =
        res.body?.resourceType === 'OperationOutcome' ? (res.body as OperationOutcome) : outcomeOfStatus(res.status);
      throw new FhirServerError(res.status, outcome, request.interaction, res.attempts);
    }
    return res;
  }
}

function expectType(res: TransportResponse, resourceType: string, interaction: string): FhirResource {
  if (res.body?.resourceType !== resourceType) {
    throw new FhirProtocolError(
      interaction,
      `expected a ${resourceType}, got ${res.body?.resourceType ?? 'no body'} (HTTP ${res.status})`,
      res.attempts,
    );
  }
  return res.body;
}

function checkType(resourceType: string, interaction: string): void {
  if (!TYPE_PATTERN.test(resourceType))
    throw new FhirClientError(`${interaction}: not a resource type name`, interaction, 0);
}

/** `Type/id`; ids are checked rather than escaped (FHIR ids are [A-Za-z0-9-.]{1,64}). */
function instancePath(resourceType: string, id: string, interaction: string): string {
  checkType(resourceType, interaction);
  if (!ID_PATTERN.test(id)) throw new FhirClientError(`${interaction}: not a valid FHIR id`, interaction, 0);
  return `${resourceType}/${id}`;
}

/** `a=1&b=x%7Cy`: every name and value percent-encoded (a literal `+` must not become a space). */
export function encodeParams(params: SearchParams): string {
  return paramPairs(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** SearchParams as name/value pairs, in order. */
export function paramPairs(params: SearchParams): [string, string][] {
  const pairs: [string, string][] = [];
  if (Array.isArray(params)) for (const [k, v] of params as readonly (readonly [string, string])[]) pairs.push([k, v]);
  else {
    for (const [k, v] of Object.entries(params as Record<string, string | number | readonly (string | number)[]>)) {
      for (const value of Array.isArray(v) ? v : [v]) pairs.push([k, String(value)]);
    }
  }
  return pairs;
}
