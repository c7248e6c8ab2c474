import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
// ajv comes with fastify (its schema compiler); used here only to check our published schema.
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from './support/http.js';
import { waitFor } from './support/wait.js';
import { MRN_SYSTEM } from '../src/demo/identifiers.js';
import { startTestServer, type TestServer } from './support/server.js';
import { freePort } from './support/ports.js';

const FAST_BRIDGE = { bridge: { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 } };
const mrn = (n: number) => encodeURIComponent(`${MRN_SYSTEM}|IBD${100000 + n}`);
const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Json };
};

/** The stroke candidate's head CT (written by the bridge after start-up): its StudyInstanceUID. */
const headCt = (server: TestServer, n: number) =>
  waitFor(
    async () => {
      const r = await get(`${server.url}/api/context?identifier=${mrn(n)}&include=imagingStudies`);
      const ct = (r.body.imagingStudies ?? []).find((s: Json) => /CT Head without/i.test(s.description ?? ''));
      return ct?.studyInstanceUid as string | undefined;
    },
    { timeoutMs: 60_000, what: `the head CT of stroke candidate ${n}` },
  );

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../docs/stroke-assessment.schema.json'), 'utf8'));
const validate = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true }).compile(schema);
const schemaErrors = (doc: unknown) =>
  validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`);

const statusOf = (body: Json, id: string) => body.factors.find((f: Json) => f.id === id).status;

/** Demo stroke candidates (src/demo/stroke-records.ts) and the flag each exercises. */
const CANDIDATES: [number, Record<string, string>][] = [
  [2, { doac: 'present' }],
  [3, { doac: 'unknown' }],
  [4, { doac: 'absent' }],
  [5, { coagulation: 'present' }],
  [6, { coagulation: 'absent' }],
  [7, { 'prior-ich': 'present' }],
  [8, { doac: 'present' }],
  [9, { platelets: 'present' }],
  [10, { glucose: 'present' }],
  [11, { glucose: 'present' }],
  [12, { 'blood-pressure': 'present' }],
  [13, { 'recent-ischemic-stroke': 'present' }],
  [14, { 'prior-ich': 'unknown', 'recent-ischemic-stroke': 'absent' }],
  [15, { 'gi-bleed-or-malignancy': 'present' }],
  [16, { lmwh: 'present' }],
  [17, { platelets: 'absent' }],
  [18, { coagulation: 'present' }],
  [19, { platelets: 'unknown', coagulation: 'unknown', glucose: 'unknown', 'blood-pressure': 'unknown' }],
  [20, { 'intracranial-neoplasm': 'present', 'intracranial-surgery': 'present', doac: 'unknown' }],
];

describe('GET /api/stroke/assessment on the demo stroke candidates (embedded FHIR server)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ demo: 'true' }, { configFile: FAST_BRIDGE });
  }, 120_000);
  afterAll(async () => server?.stop());

  it('answers all sixteen factors in order, with the study, the reference time from the study and every source', async () => {
    const uid = await headCt(server, 1);
    const { status, body } = await get(`${server.url}/api/stroke/assessment?identifier=${mrn(1)}&study=${uid}`);
    expect(status).toBe(200);
    expect(body.factors.map((f: Json) => f.id)).toEqual([
      'blood-pressure',
      'platelets',
      'coagulation',
      'glucose',
      'doac',
      'lmwh',
      'prior-ich',
      'recent-ischemic-stroke',
      'head-trauma',
      'intracranial-surgery',
      'gi-bleed-or-malignancy',
      'aortic-dissection',
      'endocarditis',
      'intracranial-neoplasm',
      'pregnancy',
      'current-hemorrhage',
    ]);
    expect(body).toMatchObject({
      patient: { identifier: [{ system: MRN_SYSTEM, value: 'IBD100001' }] },
      study: { studyInstanceUid: uid, started: expect.any(String), description: 'CT Head without contrast' },
      guideline: 'aha-2026',
      referenceTimeSource: 'study',
      complete: true,
    });
    expect(schemaErrors(body)).toEqual([]);
    expect(Date.parse(body.referenceTime)).toBe(Date.parse(body.study.started));
    expect(statusOf(body, 'current-hemorrhage')).toBe('unknown');
    expect(body.factors.find((f: Json) => f.id === 'platelets')).toMatchObject({ status: 'absent', tier: 'absolute' });
    expect(body.sources.map((s: Json) => s.section)).toEqual(
      expect.arrayContaining([
        'patient',
        'study',
        'observations',
        'conditions',
        'procedures',
        'medications',
        'results',
      ]),
    );
  });

  it.each(CANDIDATES)('stroke candidate S%i shows its flags', async (n, expected) => {
    const uid = await headCt(server, n);
    const { status, body } = await get(`${server.url}/api/stroke/assessment?identifier=${mrn(n)}&study=${uid}`);
    expect(status).toBe(200);
    expect(Object.fromEntries(Object.keys(expected).map((id) => [id, statusOf(body, id)]))).toEqual(expected);
    for (const id of Object.keys(expected).filter((id) => expected[id] === 'present'))
      expect(body.present).toContain(id);
  });

  it('labels a preliminary value, uses the 2019 words on request, and takes `at` as the reference time', async () => {
    const uid = await headCt(server, 18);
    const { body } = await get(
      `${server.url}/api/stroke/assessment?identifier=${mrn(18)}&study=${uid}&guideline=aha-2019&at=2020-01-01T00:00:00Z`,
    );
    expect(body.guideline).toBe('aha-2019');
    expect(body.referenceTimeSource).toBe('request');
    expect(body.referenceTime).toBe('2020-01-01T00:00:00.000Z');
    const coag = body.factors.find((f: Json) => f.id === 'coagulation');
    // The labs of 2025 lie after the reference time, up to now: they count.
    expect(coag).toMatchObject({ status: 'present', tier: 'contraindicated' });
    expect(coag.reason).toContain('[preliminary]');
  });

  it('without a study: study null, current-hemorrhage unknown, reference time now', async () => {
    const { status, body } = await get(`${server.url}/api/stroke/assessment?identifier=${mrn(9)}`);
    expect(status).toBe(200);
    expect(body.study).toBeNull();
    expect(body.referenceTimeSource).toBe('now');
    expect(statusOf(body, 'current-hemorrhage')).toBe('unknown');
  });

  it('answers 404 for an unknown patient or study, 422 for a study of another patient, 409 for an ambiguous identifier', async () => {
    expect((await get(`${server.url}/api/stroke/assessment?patient=nobody`)).status).toBe(404);
    expect((await get(`${server.url}/api/stroke/assessment?identifier=${mrn(1)}&study=1.2.3.999`)).status).toBe(404);
    const other = await headCt(server, 2);
    const wrong = await get(`${server.url}/api/stroke/assessment?identifier=${mrn(1)}&study=${other}`);
    expect(wrong.status).toBe(422);
    expect(wrong.body.issue[0].expression).toEqual(['study']);
    for (let i = 0; i < 2; i++)
      await fetch(`${server.url}/fhir/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:test', value: 'twin' }] }),
      });
    expect((await get(`${server.url}/api/stroke/assessment?identifier=urn%3Atest%7Ctwin`)).status).toBe(409);
  });

  it.each([
    ['', 'patient'],
    ['patient=a&at=yesterday', 'at'],
    ['patient=a&at=2026-13-45T99:00:00Z', 'at'],
    ['patient=a&guideline=aha-2030', 'guideline'],
    ['patient=a&study=not-a-uid', 'study'],
    ['patient=a&colour=blue', 'colour'],
  ])('answers 400 naming the parameter for ?%s', async (q, param) => {
    const { status, body } = await get(`${server.url}/api/stroke/assessment?${q}`);
    expect(status).toBe(400);
    expect(body.issue[0]).toMatchObject({ code: 'invalid', expression: [param] });
  });
});

describe('GET /api/stroke/assessment with the EHR down', () => {
  let ehr: Server;
  let server: TestServer;
  const patient = {
    resourceType: 'Patient',
    id: 'ehr-1',
    gender: 'male',
    identifier: [{ system: MRN_SYSTEM, value: 'EXT-1' }],
  };

  beforeAll(async () => {
    // Answers the patient, fails every search (500) except observations, which never answer.
    ehr = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path.endsWith('/Observation')) return;
      res.setHeader('content-type', 'application/fhir+json');
      if (path.endsWith('/Patient/ehr-1')) return res.end(JSON.stringify(patient));
      res.statusCode = 500;
      res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] }));
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

  it('answers 200 with complete false, the failures in sources and the factors they feed unknown', async () => {
    const { status, body } = await get(`${server.url}/api/stroke/assessment?patient=ehr-1`);
    expect(status).toBe(200);
    expect(body.complete).toBe(false);
    expect(schemaErrors(body)).toEqual([]);
    for (const id of ['platelets', 'doac', 'prior-ich', 'recent-ischemic-stroke', 'intracranial-surgery'])
      expect(statusOf(body, id)).toBe('unknown');
    // A male patient: pregnancy needs no record.
    expect(statusOf(body, 'pregnancy')).toBe('absent');
    const by = (section: string) => body.sources.find((s: Json) => s.section === section);
    expect(by('observations')).toMatchObject({ server: 'ehr', status: 'timeout' });
    expect(by('conditions')).toMatchObject({ server: 'ehr', status: 'error' });
  });
});
