/**
 * The stroke case table (src/clinical/stroke/cases) run through real FHIR servers: the records are
 * written to the embedded server, and to a second instance of ours used as an external EHR over
 * HTTP, then read back by the StrokeService exactly as the API does. Cases whose point is a failed
 * source are left to the EHR-down e2e test (test/stroke-api.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STROKE_DEFAULTS, StrokeService } from '../src/applications/stroke/index.js';
import { loadCases } from '../src/clinical/stroke/test-support.js';
import { allowAll, ContextService } from '../src/context/index.js';
import { httpFhirClient, inProcessFhirClient, type FhirClient } from '../src/fhir/client/index.js';
import { parseFhirConfig } from '../src/fhir/config.js';
import { TEST_BASE } from '../src/fhir/repository/test-support.js';
import { openTestRouter } from '../src/fhir/rest/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';
import { writeCase } from './support/stroke-case-writer.js';

const cases = loadCases().filter(({ c }) => !c.record.failed?.length);
function runTable(name: string, open: () => Promise<{ client: FhirClient; close: () => Promise<void> }>) {
  describe(`the stroke case table through ${name}`, () => {
    let client: FhirClient;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ client, close } = await open());
    }, 120_000);
    afterAll(async () => close?.());

    it(`gives every case its expected statuses (${cases.length} cases)`, async () => {
      const failures: string[] = [];
      let n = 0;
      for (const { file, c } of cases) {
        const q = await writeCase(client, c, ++n);
        const server = { name: name, client };
        const service = new StrokeService({
          context: new ContextService({
            clinical: server,
            imaging: server,
            dicomWebBase: 'x',
            timeoutMs: 10_000,
            maxPerSection: 1000,
          }),
          clinical: server,
          imaging: server,
          config: STROKE_DEFAULTS,
          timeoutMs: 10_000,
          maxPerSection: 1000,
          now: () => q.assessedAt,
        });
        const a = await service.assess(
          { patient: { id: q.patientId }, studyUid: q.studyUid, at: q.ref, guideline: c.guideline },
          allowAll,
        );
        for (const [id, expected] of Object.entries(c.expect)) {
          const f = a.factors.find((x) => x.id === id)!;
          if (f.status !== expected) failures.push(`${file}: ${c.name}: ${id} ${f.status} (${f.reason})`);
        }
        for (const [id, tier] of Object.entries(c.tiers ?? {})) {
          const f = a.factors.find((x) => x.id === id)!;
          if (f.tier !== tier) failures.push(`${file}: ${c.name}: ${id} tier ${f.tier}`);
        }
        if (!a.complete) failures.push(`${file}: ${c.name}: incomplete ${JSON.stringify(a.sources)}`);
      }
      expect(failures).toEqual([]);
    }, 300_000);
  });
}

runTable('the embedded FHIR server', async () => {
  const t = openTestRouter();
  return { client: inProcessFhirClient(t.router, TEST_BASE), close: async () => t.close?.() };
});

runTable('a second instance of ours as an external FHIR server (HTTP)', async () => {
  const server: TestServer = await startTestServer({});
  const config = parseFhirConfig({ servers: { ehr: { baseUrl: `${server.url}/fhir`, retries: 0 } } });
  return { client: httpFhirClient(config.servers.ehr!), close: () => server.stop() };
});
