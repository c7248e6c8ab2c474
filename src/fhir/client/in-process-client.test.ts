import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedFhir } from '../embedded.js';
import { inProcessFhirClient } from './index.js';
import { fhirClientSuite } from './test-support.js';

fhirClientSuite('in-process (embedded router)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ib-fhir-client-'));
  const fhir = openEmbeddedFhir({ dataDir, publicUrl: 'http://ib.test', section: undefined });
  return {
    client: inProcessFhirClient(fhir.router, 'http://ib.test/fhir'),
    close: () => {
      fhir.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
