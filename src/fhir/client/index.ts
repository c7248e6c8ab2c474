/** The FHIR client: one interface, an in-process and an HTTP implementation. */
import { HttpTransport, type HttpTransportOptions } from './http-transport.js';
import { InProcessTransport, type FhirRequestHandler } from './in-process-transport.js';
import { RestFhirClient } from './rest-client.js';
import type { FhirClient } from './fhir-client.js';
import type { FhirServerConfig } from './server-config.js';

export type { FhirClient, PagingOptions, SearchAllOptions, SearchParams } from './fhir-client.js';
export { FhirClientError, FhirNetworkError, FhirProtocolError, FhirServerError, FhirTimeoutError, statusOf } from './errors.js';
export { parseFhirServers, type FhirServerConfig } from './server-config.js';
export type { FhirRequestHandler } from './in-process-transport.js';

/** A client of the embedded server (its router), without HTTP. `baseUrl` is the router's base (…/fhir). */
export function inProcessFhirClient(router: FhirRequestHandler, baseUrl: string): FhirClient {
  return new RestFhirClient(new InProcessTransport(router, baseUrl));
}

/** A client of an external FHIR R4 server as configured in `fhir.servers.<name>`. */
export function httpFhirClient(server: FhirServerConfig, inject: Pick<HttpTransportOptions, 'sleep' | 'random' | 'fetch'> = {}): FhirClient {
  const auth = server.auth;
  const header = auth.type === 'bearer' ? `Bearer ${auth.token}` : undefined;
  return new RestFhirClient(
    new HttpTransport({
      baseUrl: server.baseUrl,
      authorization: async () => header,
      timeoutMs: server.timeoutMs,
      retry: { retries: server.retries, baseDelayMs: server.retryBaseDelayMs, maxDelayMs: server.retryMaxDelayMs },
      ...inject,
    }),
  );
}
