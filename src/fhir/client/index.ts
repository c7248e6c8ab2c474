/** The FHIR client: one interface, an in-process and an HTTP implementation. */
import { HttpTransport, type HttpTransportOptions } from './http-transport.js';
import { InProcessTransport, type FhirRequestHandler } from './in-process-transport.js';
import { RestFhirClient } from './rest-client.js';
import type { FhirClient } from './fhir-client.js';
import type { FhirServerConfig } from './server-config.js';
import { SmartBackendAuth } from './smart-backend-auth.js';

export type { FhirClient, PagingOptions, SearchAllOptions, SearchParams } from './fhir-client.js';
export {
  FhirAuthError,
  FhirClientError,
  FhirNetworkError,
  FhirProtocolError,
  FhirServerError,
  FhirTimeoutError,
  statusOf,
} from './errors.js';
export { parseFhirServers, type FhirServerConfig, type SmartBackendAuthConfig } from './server-config.js';
export { SmartBackendAuth } from './smart-backend-auth.js';
export type { FhirRequestHandler } from './in-process-transport.js';
export { LocalFhirReader, type FhirReader, type LocalFhirServer } from './local-reader.js';

/**
 * A client of the embedded server (its router), without HTTP. `baseUrl` is the router's base
 * (…/fhir). `validatedWrites`: only for a caller that validates everything it writes (the bridge).
 */
export function inProcessFhirClient(
  router: FhirRequestHandler,
  baseUrl: string,
  options: { validatedWrites?: boolean } = {},
): FhirClient {
  return new RestFhirClient(new InProcessTransport(router, baseUrl, options));
}

/**
 * A client of an external FHIR R4 server as configured in `fhir.servers.<name>`: no auth, a
 * static bearer token, or SMART Backend Services (token fetched, cached, renewed after a 401).
 */
export function httpFhirClient(
  server: FhirServerConfig,
  inject: Pick<HttpTransportOptions, 'sleep' | 'random' | 'fetch'> = {},
): FhirClient {
  const auth = server.auth;
  const smart =
    auth.type === 'smart-backend'
      ? new SmartBackendAuth(auth, { fetch: inject.fetch, timeoutMs: server.timeoutMs })
      : undefined;
  const header = auth.type === 'bearer' ? `Bearer ${auth.token}` : undefined;
  return new RestFhirClient(
    new HttpTransport({
      baseUrl: server.baseUrl,
      authorization: smart ? () => smart.authorization() : async () => header,
      unauthorized: smart && (() => smart.invalidate()),
      timeoutMs: server.timeoutMs,
      retry: { retries: server.retries, baseDelayMs: server.retryBaseDelayMs, maxDelayMs: server.retryMaxDelayMs },
      ...inject,
    }),
  );
}
