import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';

const FHIR_JSON = { 'content-type': 'application/fhir+json' };
const mmHg = (value: number) => ({ value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });
const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });

describe('FHIR server regressions', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('stores a blood-pressure panel with two components and finds it by component value', async () => {
    const panel = {
      resourceType: 'Observation',
      status: 'final',
      code: loinc('85354-9'),
      subject: { reference: 'Patient/bp' },
      component: [
        { code: loinc('8480-6'), valueQuantity: mmHg(150) },
        { code: loinc('8462-4'), valueQuantity: mmHg(95) },
      ],
    };
    const created = await fetch(`${server.url}/fhir/Observation`, {
      method: 'POST',
      body: JSON.stringify(panel),
      headers: FHIR_JSON,
    });
    expect(created.status).toBe(201);
    expect(
      (await json(await fetch(`${server.url}/fhir/Observation?component-value-quantity=gt140`))).entry,
    ).toHaveLength(1);
    expect(
      (await json(await fetch(`${server.url}/fhir/Observation?component-value-quantity=gt160`))).entry ?? [],
    ).toHaveLength(0);
  });

  it('keeps a space in a search value across page links', async () => {
    for (let i = 0; i < 5; i++) {
      const p = { resourceType: 'Patient', name: [{ family: 'van Dyke', given: [`P${i}`] }] };
      expect(
        (await fetch(`${server.url}/fhir/Patient`, { method: 'POST', body: JSON.stringify(p), headers: FHIR_JSON }))
          .status,
      ).toBe(201);
    }
    let url: string | undefined = `${server.url}/fhir/Patient?family=van%20Dyke&_count=2`;
    let found = 0;
    for (let page = 0; url && page < 10; page++) {
      const bundle = await json(await fetch(url));
      found += bundle.entry?.length ?? 0;
      url = bundle.link?.find((l: { relation: string }) => l.relation === 'next')?.url;
    }
    expect(found).toBe(5);
  });
});

describe('FHIR CapabilityStatement', () => {
  it('states the version of ImagingBridge that serves it', async () => {
    const { createRequire } = await import('node:module');
    const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
    const server = await startTestServer();
    try {
      const cs = await json(await fetch(`${server.url}/fhir/metadata`));
      expect(cs.software).toMatchObject({ name: 'ImagingBridge', version });
    } finally {
      await server.stop();
    }
  });
});
