import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MRN_SYSTEM } from '../src/demo/identifiers.js';
import { waitFor } from './support/wait.js';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';

const FAST_BRIDGE = { bridge: { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 } };
// S05's CT head in the demo (DEMO_UID_ROOT.<patient>.<study>).
const STUDY = '1.2.826.0.1.3680043.10.1456.7.5.1';
const SERIES = `${STUDY}.1`;

const post = async (url: string, body: unknown, contentType = 'application/json') => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, location: res.headers.get('location'), body: (await res.json()) as Json };
};
const getJson = async (url: string) => (await (await fetch(url)).json()) as Json;

const VALID = {
  studyInstanceUid: STUDY,
  model: { name: 'StrokeNet', version: '2.1.0', manufacturer: 'Example AI', licence: 'research' },
  findings: [
    {
      code: { system: 'http://snomed.info/sct', code: '432504007', display: 'Cerebral infarction' },
      bodySite: { system: 'http://snomed.info/sct', code: '17232002', display: 'Middle cerebral artery' },
      laterality: 'left',
      confidence: 0.93,
      measurement: { value: 12.5, unit: 'mL' },
      trackingId: 'lesion-1',
      seriesUid: SERIES,
    },
    { code: 'No hemorrhage detected', confidence: 0.99 },
  ],
  conclusion: 'Left MCA infarct, 12.5 mL; no hemorrhage.',
};

describe('POST /api/ai-results on the demo data', () => {
  let server: TestServer;
  let fhir: string;
  let study: Json;
  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        ['Device', 'BodyStructure', 'Observation', 'DiagnosticReport', 'Provenance'].map(
          async (t) => [t, (await getJson(`${fhir}/${t}?_summary=count`)).total] as const,
        ),
      ),
    );

  beforeAll(async () => {
    server = await startTestServer({ demo: 'true' }, { configFile: FAST_BRIDGE });
    fhir = `${server.url}/fhir`;
    study = await waitFor(
      async () =>
        (await getJson(`${fhir}/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${STUDY}`)}`))
          .entry?.[0]?.resource,
      { timeoutMs: 30_000, what: 'the demo ImagingStudy' },
    );
  });
  afterAll(async () => server?.stop());

  it('writes Device, Observations, DiagnosticReport and Provenance in one go and answers 201 with the DiagnosticReport id', async () => {
    const { status, location, body } = await post(`${server.url}/api/ai-results`, VALID);
    expect(status).toBe(201);
    expect(body.diagnosticReportId).toMatch(/^[A-Za-z0-9\-.]+$/);
    expect(location).toBe(`${fhir}/DiagnosticReport/${body.diagnosticReportId}`);
    const report = await getJson(`${fhir}/DiagnosticReport/${body.diagnosticReportId}`);
    expect(report).toMatchObject({
      status: 'preliminary',
      subject: study.subject,
      imagingStudy: [{ reference: `ImagingStudy/${study.id}` }],
      conclusion: VALID.conclusion,
    });
    expect(report.result).toHaveLength(2);
    const [lesion, negative] = await Promise.all(report.result.map((r: Json) => getJson(`${fhir}/${r.reference}`)));
    expect(lesion).toMatchObject({
      status: 'preliminary',
      category: [{ coding: [{ code: 'imaging' }] }],
      partOf: [{ reference: `ImagingStudy/${study.id}` }],
      derivedFrom: [{ reference: `ImagingStudy/${study.id}` }],
      bodySite: { coding: [{ code: '17232002' }] },
      valueQuantity: { value: 12.5, unit: 'mL', system: 'http://unitsofmeasure.org' },
      identifier: [{ value: 'lesion-1' }],
      subject: study.subject,
    });
    expect(lesion.component).toContainEqual(
      expect.objectContaining({
        code: expect.objectContaining({ text: 'Confidence' }),
        valueQuantity: expect.objectContaining({ value: 0.93 }),
      }),
    );
    expect(lesion.component).toContainEqual(
      expect.objectContaining({ valueCodeableConcept: expect.objectContaining({ text: 'left' }) }),
    );
    expect(negative.code).toEqual({ text: 'No hemorrhage detected' });
    // The tracked lesion: a BodyStructure of the patient, the Observation's focus.
    expect(body.bodyStructures).toHaveLength(1);
    expect(lesion.focus).toEqual([{ reference: body.bodyStructures[0] }]);
    const structure = await getJson(`${fhir}/${body.bodyStructures[0]}`);
    expect(structure).toMatchObject({
      resourceType: 'BodyStructure',
      patient: study.subject,
      location: { coding: [{ code: '17232002' }] },
      locationQualifier: [{ coding: [{ code: '7771000' }] }],
    });
    expect(structure.identifier).toContainEqual(
      expect.objectContaining({ system: 'urn:imaging-bridge:tracking-id', value: 'lesion-1' }),
    );
    expect(negative.focus).toBeUndefined();
    const device = await getJson(`${fhir}/${lesion.device.reference}`);
    expect(device).toMatchObject({
      deviceName: [{ name: 'StrokeNet' }],
      version: [{ value: '2.1.0' }],
      manufacturer: 'Example AI',
    });
    const provenance = await getJson(`${fhir}/${body.provenance}`);
    expect(provenance.target.map((t: Json) => t.reference)).toEqual([body.diagnosticReport, ...body.observations]);
    expect(provenance.agent[0].who.reference).toBe(lesion.device.reference);
  });

  it('reuses the Device of the same model version, and shows the result in the patient context as an AI report', async () => {
    const first = (await post(`${server.url}/api/ai-results`, VALID)).body;
    const second = (await post(`${server.url}/api/ai-results`, { ...VALID, findings: [VALID.findings[1]] })).body;
    expect(second.device).toBe(first.device);
    // The same tracking id for the same patient: the same BodyStructure, however often it is reported.
    // Found again, the lesion is still listed (it used to come back as []).
    expect(first.bodyStructures).toHaveLength(1);
    expect(first.bodyStructures).toEqual((await post(`${server.url}/api/ai-results`, VALID)).body.bodyStructures);
    expect(
      (
        await getJson(
          `${fhir}/BodyStructure?identifier=${encodeURIComponent('urn:imaging-bridge:tracking-id|lesion-1')}`,
        )
      ).entry,
    ).toHaveLength(1);
    const context = await getJson(
      `${server.url}/api/context?identifier=${encodeURIComponent(`${MRN_SYSTEM}|IBD100005`)}&include=imagingStudies,reports`,
    );
    const report = context.reports.find((r: Json) => r.id === first.diagnosticReportId);
    expect(report).toMatchObject({
      ai: true,
      status: 'preliminary',
      device: 'StrokeNet 2.1.0',
      imagingStudy: [{ id: study.id, studyInstanceUid: STUDY }],
    });
    expect(report.findings[0]).toMatchObject({ value: 12.5, unit: 'mL', confidence: 0.93, trackingId: 'lesion-1' });
  });

  it.each([
    ['no findings', { ...VALID, findings: [] }, 'findings'],
    ['a bad StudyInstanceUID', { ...VALID, studyInstanceUid: 'not-a-uid' }, 'studyInstanceUid'],
    ['no model version', { ...VALID, model: { name: 'X' } }, 'model.version'],
    [
      'a confidence above 1',
      { ...VALID, findings: [{ ...VALID.findings[0], confidence: 1.5 }] },
      'findings[0].confidence',
    ],
    [
      'a measurement without unit',
      { ...VALID, findings: [{ code: 'x', measurement: { value: 1 } }] },
      'findings[0].measurement',
    ],
    ['an unknown field', { ...VALID, extra: 1 }, 'extra'],
    [
      'a tracking UID that is not a UID',
      { ...VALID, findings: [{ code: 'x', trackingUid: 'lesion-1' }] },
      'findings[0].trackingUid',
    ],
  ])('answers 400 with an OperationOutcome for %s and writes nothing', async (_what, body, path) => {
    const before = await counts();
    const { status, body: outcome } = await post(`${server.url}/api/ai-results`, body);
    expect(status).toBe(400);
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue.map((i: Json) => i.expression?.[0])).toContain(path);
    expect(await counts()).toEqual(before);
  });

  it('answers 400 for a body that is not JSON, and writes nothing', async () => {
    const before = await counts();
    const { status, body } = await post(`${server.url}/api/ai-results`, '{"studyInstanceUid": ');
    expect(status).toBe(400);
    expect(body.resourceType).toBe('OperationOutcome');
    expect(await counts()).toEqual(before);
  });

  it('answers 422 naming the StudyInstanceUID when no ImagingStudy has it, and writes nothing', async () => {
    const before = await counts();
    const { status, body } = await post(`${server.url}/api/ai-results`, {
      ...VALID,
      studyInstanceUid: '1.2.3.4.5.6.7.8.9',
    });
    expect(status).toBe(422);
    expect(body.issue[0].diagnostics).toContain('no ImagingStudy has StudyInstanceUID 1.2.3.4.5.6.7.8.9');
    expect(await counts()).toEqual(before);
  });

  it('answers 422 when a finding names a series that is not in the study, and writes nothing', async () => {
    const before = await counts();
    const { status, body } = await post(`${server.url}/api/ai-results`, {
      ...VALID,
      findings: [{ code: 'x', seriesUid: '1.2.3.999' }],
    });
    expect(status).toBe(422);
    expect(body.issue[0].expression).toEqual(['findings[0].seriesUid']);
    expect(await counts()).toEqual(before);
  });
});
