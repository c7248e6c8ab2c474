import { afterAll, beforeAll } from 'vitest';
import { httpFhirClient, parseFhirServers } from '../src/fhir/client/index.js';
import { fhirClientSuite } from '../src/fhir/client/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';

/** The HTTP client against a second ImagingBridge (its own port and data) acting as the external FHIR server. */
let peer: TestServer;
beforeAll(async () => {
  peer = await startTestServer();
});
afterAll(async () => {
  await peer?.stop();
});

fhirClientSuite('HTTP (second ImagingBridge)', async () => {
  const { peer: server } = parseFhirServers({
    peer: {
      baseUrl: `${peer.url}/fhir`,
      auth: { type: 'bearer', token: 'static-token' },
      timeoutMs: 15_000,
      retries: 1,
    },
  });
  return { client: httpFhirClient(server), close: () => undefined };
});
