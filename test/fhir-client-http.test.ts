import { afterAll, beforeAll } from 'vitest';
import { httpFhirClient, parseFhirServers } from '../src/fhir/client/index.js';
import { fhirClientSuite, startSourceBridge, type SourceBridge } from '../src/fhir/client/test-support.js';

/** The HTTP client against a second ImagingBridge process acting as the external FHIR server. */
let peer: SourceBridge;
beforeAll(async () => {
  peer = await startSourceBridge();
});
afterAll(async () => {
  await peer?.stop();
});

fhirClientSuite('HTTP (second ImagingBridge process)', async () => {
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
