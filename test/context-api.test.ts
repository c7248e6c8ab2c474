import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MRN_SYSTEM } from '../src/demo/identifiers.js';
import { waitFor } from './support/wait.js';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { freePort } from './support/ports.js';

const FAST_BRIDGE = { bridge: { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 } };
const mrn = (value: string) => encodeURIComponent(`${MRN_SYSTEM}|${value}`);
const get = async (url: string, accept?: string) => {
  const res = await fetch(url, accept ? { headers: { accept } } : {});
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Json };
};

/** The demo's ImagingStudies are written by the bridge after start-up: wait until the patient's are there. */
const contextWithStudies = (server: TestServer, query: string, studies: number) =>
  waitFor(
    async () => {
      const r = await get(`${server.url}/api/context?${query}`);
      return r.status === 200 && r.body.imagingStudies?.length >= studies ? r : undefined;
    },
    { timeoutMs: 30_000, what: `${studies} imaging studies in the context` },
  );

describe('GET /api/context on the demo data (embedded FHIR server)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ demo: 'true' }, { configFile: FAST_BRIDGE });
  });
  afterAll(async () => server?.stop());

  it('finds the patient by identifier and returns every section, with WADO-RS URLs of each study and series', async () => {
    const { status, type, body } = await contextWithStudies(server, `identifier=${mrn('IBD100005')}`, 1);
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(body.patient).toMatchObject({
      identifier: [{ system: MRN_SYSTEM, value: 'IBD100005' }],
      gender: expect.any(String),
    });
    for (const s of [
      'imagingStudies',
      'conditions',
      'medications',
      'observations',
      'allergies',
      'encounters',
      'flags',
      'reports',
    ])
      expect(Array.isArray(body[s])).toBe(true);
    const study = body.imagingStudies[0];
    expect(study).toMatchObject({
      accession: 'ACC00501',
      modality: ['CT'],
      bodySite: [expect.objectContaining({ display: 'Head' })],
      started: expect.any(String),
    });
    expect(study.retrieveUrl).toBe(`${server.url}/dicomweb/studies/${study.studyInstanceUid}`);
    expect(study.metadataUrl).toBe(`${study.retrieveUrl}/metadata`);
    expect(study.series[0].metadataUrl).toBe(`${study.retrieveUrl}/series/${study.series[0].uid}/metadata`);
    // The URLs really answer: the metadata is the study's DICOM JSON.
    const metadata = await fetch(study.metadataUrl, { headers: { accept: 'application/dicom+json' } });
    expect(metadata.status).toBe(200);
    // S05: warfarin ordered as a clinical drug, reported at ingredient level; INR 2.6 the latest value.
    expect(body.medications).toContainEqual(
      expect.objectContaining({
        state: 'active',
        ingredient: expect.objectContaining({ display: 'warfarin', code: '11289' }),
      }),
    );
    expect(body.observations).toContainEqual(
      expect.objectContaining({
        code: expect.objectContaining({ code: '6301-6' }),
        latest: expect.objectContaining({ value: 2.6 }),
        trend: expect.any(Array),
      }),
    );
    expect(body.encounters).toContainEqual(
      expect.objectContaining({
        class: expect.objectContaining({ code: 'EMER' }),
        location: expect.objectContaining({ display: 'Emergency Department' }),
      }),
    );
    expect(body.complete).toBe(true);
  });

  it('lists every query it made in sources with its duration and count', async () => {
    const { body } = await contextWithStudies(server, `identifier=${mrn('IBD100001')}`, 1);
    const sections = new Set(body.sources.map((s: Json) => s.section));
    for (const s of [
      'patient',
      'imagingStudies',
      'conditions',
      'medications',
      'observations',
      'allergies',
      'encounters',
      'flags',
      'reports',
    ])
      expect(sections).toContain(s);
    for (const s of body.sources)
      expect(s).toMatchObject({
        server: 'embedded',
        status: 'ok',
        durationMs: expect.any(Number),
        count: expect.any(Number),
      });
    expect(
      body.sources.filter((s: Json) => s.section === 'medications').map((s: Json) => s.request.split('?')[0]),
    ).toEqual(['MedicationRequest', 'MedicationStatement', 'MedicationAdministration']);
  });

  it('normalizes a glucose reported in mmol/L to mg/dL and keeps the original value beside it (S11)', async () => {
    const { body } = await get(`${server.url}/api/context?identifier=${mrn('IBD100011')}&include=observations`);
    const glucose = body.observations.find((o: Json) => o.code.code === '2339-0');
    expect(glucose.latest).toMatchObject({ unit: 'mg/dL', original: { value: 2.4, unit: 'mmol/L' } });
    expect(glucose.latest.value).toBeCloseTo(43.2, 1);
  });

  it('answers the same patient by id, with only the sections asked for and at most studyLimit studies', async () => {
    const byIdentifier = (await get(`${server.url}/api/context?identifier=${mrn('IBD100005')}&include=flags`)).body;
    const { status, body } = await get(
      `${server.url}/api/context?patient=${byIdentifier.patient.id}&include=imagingStudies,observations&studyLimit=1`,
    );
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['patient', 'imagingStudies', 'observations', 'complete', 'sources']);
    expect(body.imagingStudies.length).toBeLessThanOrEqual(1);
    expect(body.sources.find((s: Json) => s.section === 'imagingStudies').request).toContain('_count=1');
  });

  it('keeps only data since the given date for time-stamped sections', async () => {
    const { body } = await get(
      `${server.url}/api/context?identifier=${mrn('IBD100005')}&since=2999-01-01&include=observations,imagingStudies,encounters`,
    );
    expect(body.observations).toEqual([]);
    expect(body.imagingStudies).toEqual([]);
    // A running encounter is state, not history: it stays.
    expect(body.encounters.every((e: Json) => e.current)).toBe(true);
  });

  it('answers Accept: application/fhir+json with a collection Bundle of the same content', async () => {
    const json = (await contextWithStudies(server, `identifier=${mrn('IBD100005')}`, 1)).body;
    const { status, type, body } = await get(
      `${server.url}/api/context?identifier=${mrn('IBD100005')}`,
      'application/fhir+json',
    );
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/fhir\+json/);
    expect(body).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const ids = body.entry.map((e: Json) => `${e.resource.resourceType}/${e.resource.id}`);
    expect(ids[0]).toBe(`Patient/${json.patient.id}`);
    for (const s of json.imagingStudies) expect(ids).toContain(`ImagingStudy/${s.id}`);
    for (const m of json.medications) expect(ids).toContain(`${m.resourceType}/${m.id}`);
    for (const o of json.observations) expect(ids).toContain(`Observation/${o.latest.id}`);
    expect(
      body.entry.every((e: Json) => e.fullUrl === `${server.url}/fhir/${e.resource.resourceType}/${e.resource.id}`),
    ).toBe(true);
  });

  it('records an AuditEvent naming the patient and the sections served', async () => {
    const { body } = await get(`${server.url}/api/context?identifier=${mrn('IBD100007')}&include=conditions,flags`);
    const events = await waitFor(
      async () => {
        const found = (await get(`${server.url}/fhir/AuditEvent?entity=Patient/${body.patient.id}`)).body;
        return found.entry?.length ? found.entry.map((e: Json) => e.resource) : undefined;
      },
      { timeoutMs: 10_000, what: 'the AuditEvent' },
    );
    expect(events[0]).toMatchObject({ action: 'E', outcome: '0' });
    expect(events[0].entity).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          what: { reference: `Patient/${body.patient.id}` },
          description: 'sections: conditions, flags',
        }),
        expect.objectContaining({ type: expect.objectContaining({ code: 'XrequestId' }) }),
      ]),
    );
  });

  it('answers 404 with an OperationOutcome for an unknown patient, by id or by identifier', async () => {
    for (const q of ['patient=does-not-exist', `identifier=${mrn('NOPE')}`]) {
      const { status, body } = await get(`${server.url}/api/context?${q}`);
      expect(status).toBe(404);
      expect(body).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'not-found' }],
      });
    }
  });

  it.each([
    ['', 'patient'],
    ['patient=a&identifier=s%7Cv', 'identifier'],
    ['identifier=no-bar', 'identifier'],
    ['patient=a%20b', 'patient'],
    ['patient=a&studyLimit=0', 'studyLimit'],
    ['patient=a&studyLimit=x', 'studyLimit'],
    ['patient=a&since=yesterday', 'since'],
    ['patient=a&include=imagingStudies,xrays', 'include'],
    ['patient=a&colour=blue', 'colour'],
  ])('answers 400 with an OperationOutcome naming the parameter for ?%s', async (q, param) => {
    const { status, body } = await get(`${server.url}/api/context?${q}`);
    expect(status).toBe(400);
    expect(body.resourceType).toBe('OperationOutcome');
    expect(body.issue[0]).toMatchObject({ code: 'invalid', expression: [param] });
  });
});

describe('GET /api/context with clinical data from an external EHR that fails in part', () => {
  let ehr: Server;
  let server: TestServer;
  const seen: string[] = [];
  const patient = {
    resourceType: 'Patient',
    id: 'ehr-1',
    identifier: [{ system: MRN_SYSTEM, value: 'EXT-1' }],
    name: [{ family: 'Extern', given: ['Eva'] }],
  };
  const bundle = (resources: unknown[]) => ({
    resourceType: 'Bundle',
    type: 'searchset',
    total: resources.length,
    entry: resources.map((r) => ({ resource: r, search: { mode: 'match' } })),
  });

  beforeAll(async () => {
    // A stub EHR: conditions fail with 500, observations never answer, the rest is there.
    ehr = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      seen.push(`${req.method} ${path}`);
      if (path.endsWith('/Observation')) return; // hangs: the context must time out, not wait
      res.setHeader('content-type', 'application/fhir+json');
      if (path.endsWith('/Condition')) {
        res.statusCode = 500;
        return res.end(
          JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] }),
        );
      }
      if (path.endsWith('/Patient/ehr-1')) return res.end(JSON.stringify(patient));
      if (path.endsWith('/Flag'))
        return res.end(
          JSON.stringify(
            bundle([
              {
                resourceType: 'Flag',
                id: 'f1',
                status: 'active',
                code: { text: 'Falls risk' },
                subject: { reference: 'Patient/ehr-1' },
              },
            ]),
          ),
        );
      if (/\/Patient\/[^/]+$/.test(path)) {
        res.statusCode = 404;
        return res.end(
          JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }),
        );
      }
      res.end(JSON.stringify(bundle([])));
    });
    const port = await freePort();
    await new Promise<void>((r) => ehr.listen(port, '127.0.0.1', r));
    server = await startTestServer(
      {},
      {
        configFile: {
          fhir: { servers: { ehr: { baseUrl: `http://127.0.0.1:${port}/fhir`, retries: 0, timeoutMs: 2000 } } },
          context: { fhirServer: 'ehr', timeoutMs: 300 },
        },
      },
    );
  });
  afterAll(async () => {
    await server?.stop();
    ehr?.closeAllConnections();
    await new Promise((r) => ehr?.close(r));
  });

  it('returns what answered, marks failed and timed-out sections null, and says why in sources', async () => {
    const { status, body } = await get(`${server.url}/api/context?patient=ehr-1`);
    expect(status).toBe(200);
    expect(body.patient).toMatchObject({ id: 'ehr-1', name: 'Eva Extern' });
    expect(body.flags).toEqual([expect.objectContaining({ id: 'f1', status: 'active' })]);
    expect(body.conditions).toBeNull();
    expect(body.observations).toBeNull();
    expect(body.complete).toBe(false);
    const by = (section: string) => body.sources.filter((s: Json) => s.section === section);
    expect(by('conditions')[0]).toMatchObject({
      server: 'ehr',
      status: 'error',
      error: expect.stringContaining('500'),
    });
    expect(by('observations')[0]).toMatchObject({ server: 'ehr', status: 'timeout' });
    expect(by('observations')[0].durationMs).toBeLessThan(2000);
    // Imaging comes from our own server, matched by the EHR patient's identifier (none here yet).
    expect(body.imagingStudies).toEqual([]);
    expect(body.sources.find((s: Json) => s.section === 'patient' && s.server === 'embedded').request).toContain(
      'identifier=',
    );
  });

  it('only reads from the EHR: every request it received was a GET', () => {
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.startsWith('GET '))).toBe(true);
  });

  it('answers 404 when the EHR does not know the patient', async () => {
    const { status, body } = await get(`${server.url}/api/context?patient=unknown-1`);
    expect(status).toBe(404);
    expect(body.resourceType).toBe('OperationOutcome');
  });
});
