import { ID_PATTERN } from '../repository/repository.js';
import { asOutcomeError } from '../../core/errors.js';
import type { FhirResponse } from '../rest/context.js';
import type { Bundle, OperationOutcome, ResourceOf } from '../types.js';
import { FhirClientError, FhirServerError } from './errors.js';
import type { FhirClient, SearchParams } from './fhir-client.js';
import { paramPairs } from './rest-client.js';

/** The reads a patient context makes of a FHIR server: any FhirClient, or the embedded server directly. */
export type FhirReader = Pick<FhirClient, 'baseUrl' | 'read' | 'search'>;

/** What the embedded router offers in-process callers (FhirRouter.searchLocal / readLocal). */
export interface LocalFhirServer {
  searchLocal(type: string, query: URLSearchParams): Promise<FhirResponse>;
  readLocal(type: string, id: string): Promise<FhirResponse>;
}

/**
 * Reads of the embedded server through its handlers, without encoding a request for the router:
 * the same Bundles and resources as inProcessFhirClient, and failures as the same
 * FhirServerErrors (status and OperationOutcome), so callers cannot tell the two apart. Read only,
 * and without a principal: for callers that apply their own access policy.
 */
export class LocalFhirReader implements FhirReader {
  readonly baseUrl: string;

  constructor(
    private readonly server: LocalFhirServer,
    baseUrl: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async read<K extends string>(resourceType: K, id: string): Promise<ResourceOf<K>> {
    const interaction = `read ${resourceType}`;
    if (!ID_PATTERN.test(id)) throw new FhirClientError(`${interaction}: not a valid FHIR id`, interaction, 0);
    return (await this.call(() => this.server.readLocal(resourceType, id), interaction)).body as ResourceOf<K>;
  }

  async search(resourceType: string, params: SearchParams = {}): Promise<Bundle> {
    const query = new URLSearchParams(paramPairs(params));
    return (await this.call(() => this.server.searchLocal(resourceType, query), `search ${resourceType}`))
      .body as Bundle;
  }

  private async call(run: () => Promise<FhirResponse>, interaction: string): Promise<FhirResponse> {
    let res: FhirResponse;
    try {
      res = await run();
    } catch (e) {
      const err = asOutcomeError(e);
      throw new FhirServerError(err.status, err.outcome, interaction, 1);
    }
    if (res.status >= 400) throw new FhirServerError(res.status, res.body as OperationOutcome, interaction, 1);
    return res;
  }
}
