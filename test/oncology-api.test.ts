/**
 * GET /api/oncology/summary against the real server: studies and a record written over /fhir,
 * lesion measurements over POST /api/ai-results (the tracked-lesion path), the summary read as
 * JSON, printable HTML and a FHIR document; bad input answered with the standard errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// ajv comes with fastify (its schema compiler); used here only to check our published schema.
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';

const docs = join(import.meta.dirname, '../docs');
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
for (const f of ['context-api.schema.json', 'oncology-summary.schema.json'])
  ajv.addSchema(JSON.parse(readFileSync(join(docs, f), 'utf8')));
const schemaErrors = (doc: unknown) => {
  const validate = ajv.getSchema('https://github.com/imaging-bridge/imaging-bridge/docs/oncology-summary.schema.json')!;
  return validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`);
};
const SCT = 'http://snomed.info/sct';
const ROOT = '1.2.826.0.1.3680043.10.1456.19';
const uid = (n: number) => `${ROOT}.${n}`;
const LIVER = { system: SCT, code: '10200004', display: 'Liver structure' };
const NODE = { system: SCT, code: '59441001', display: 'Structure of lymph node' };
const LONG = { system: SCT, code: '103339001', display: 'Long axis' };
const SHORT = { system: SCT, code: '103340004', display: 'Short axis' };

describe('GET /api/oncology/summary', () => {
  let server: TestServer;
  let fhir: string;
  let patient: string;
  let other: string;
  let empty: string;

  const send = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/fhir+json', ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: text.startsWith('{') ? (JSON.parse(text) as Json) : undefined,
    };
  };
  const create = async (resource: Json) => {
    const r = await send('POST', `${fhir}/${resource.resourceType}`, resource);
    expect(r.status, r.text).toBe(201);
    return r.body.id as string;
  };
  const study = (subject: string, n: number, started: string, modality = 'CT') =>
    create({
      resourceType: 'ImagingStudy',
      status: 'available',
      subject: { reference: `Patient/${subject}` },
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${uid(n)}` }],
      started,
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: modality }],
      description: `${modality} chest abdomen pelvis`,
      series: [
        { uid: `${uid(n)}.1`, modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: modality } },
      ],
    });
  const measure = (n: number, lesions: [string, Json, Json, number][]) =>
    send(
      'POST',
      `${server.url}/api/ai-results`,
      {
        studyInstanceUid: uid(n),
        model: { name: 'RecistHelper', version: '1.0' },
        findings: lesions.map(([trackingId, site, axis, mm]) => ({
          code: axis,
          bodySite: site,
          measurement: { value: mm, unit: 'mm' },
          trackingId,
        })),
      },
      { 'content-type': 'application/json' },
    );
  const summary = (query: string, accept = 'application/json') =>
    send('GET', `${server.url}/api/oncology/summary?${query}`, undefined, { accept });

  beforeAll(async () => {
    server = await startTestServer({});
    fhir = `${server.url}/fhir`;
    patient = await create({
      resourceType: 'Patient',
      name: [{ family: 'Tumor', given: ['Tess'] }],
      birthDate: '1961-02-03',
      identifier: [{ system: 'urn:mrn', value: 'ONC-1' }],
    });
    other = await create({ resourceType: 'Patient', name: [{ family: 'Other' }] });
    empty = await create({ resourceType: 'Patient', name: [{ family: 'Empty' }] });
    await study(patient, 1, '2025-01-10T09:00:00Z');
    await study(patient, 2, '2025-03-10T09:00:00Z');
    await study(patient, 3, '2025-05-12T09:00:00Z', 'MR');
    await study(other, 9, '2025-01-11T09:00:00Z');
    // Baseline: L1 40 + L2 30 + N1 20 (short) = 90; follow-up 1: 28 + 21 + 14 = 63 (exactly -30 %: PR).
    for (const [n, values] of [
      [1, [40, 30, 20]],
      [2, [28, 21, 14]],
      [3, [30, 24, 16]],
    ] as [number, number[]][]) {
      const r = await measure(n, [
        ['L1', LIVER, LONG, values[0]!],
        ['L2', LIVER, LONG, values[1]!],
        ['N1', NODE, SHORT, values[2]!],
      ]);
      expect(r.status, r.text).toBe(201);
      expect(r.body.bodyStructures).toHaveLength(3);
    }
    await create({
      resourceType: 'Condition',
      subject: { reference: `Patient/${patient}` },
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C18.9' }], text: 'Colon cancer' },
      onsetDateTime: '2024-12-20',
      stage: [{ summary: { text: 'Stage IV' } }],
    });
    await create({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '97509-4' }] },
      subject: { reference: `Patient/${patient}` },
      effectiveDateTime: '2025-03-12',
      valueCodeableConcept: { coding: [{ system: SCT, code: '271299001', display: 'Worsened' }] },
    });
  });
  afterAll(async () => server?.stop());

  it('compares the time points by RECIST 1.1: PR at exactly -30 %, then SD (63 → 70 mm is +11 % from the nadir)', async () => {
    const r = await summary(`patient=${patient}`);
    expect(r.status, r.text).toBe(200);
    const s = r.body;
    expect(schemaErrors(s)).toEqual([]);
    expect(s.patient.id).toBe(patient);
    expect(s.timepoints.map((tp: Json) => [tp.date, tp.sumMm, tp.targetResponse, tp.overallResponse])).toEqual([
      ['2025-01-10', 90, 'baseline', 'baseline'],
      ['2025-03-10', 63, 'PR', 'PR'],
      ['2025-05-12', 70, 'SD', 'SD'],
    ]);
    expect(s.timepoints[1].changeFromBaselinePct).toBe(-30);
    const n1 = s.timepoints[0].lesions.find((l: Json) => l.trackingId === 'N1');
    expect(n1).toMatchObject({ nodal: true, axis: 'short', role: 'target', valueMm: 20, status: 'measured' });
    expect(n1.bodyStructure).toMatch(/^BodyStructure\//);
    expect(s.timepoints[0].studies[0]).toMatchObject({ studyInstanceUid: uid(1), modality: 'CT' });
    expect(s.warnings).toContain('modality changed from CT to MR for L1');
    // The clinician wrote "worsened" at the time of a computed PR: flagged.
    expect(s.clinicianStatus).toEqual([
      expect.objectContaining({ value: 'worsened', computed: 'PR', agreesWithComputed: false }),
    ]);
    expect(s.diagnosis).toEqual([expect.objectContaining({ stage: 'Stage IV', onset: '2024-12-20' })]);
    expect(s.complete).toBe(true);
  });

  it('finds the patient by identifier and takes a later baseline when asked', async () => {
    const r = await summary(`identifier=${encodeURIComponent('urn:mrn|ONC-1')}&baseline=${uid(2)}`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.timepoints.map((tp: Json) => tp.overallResponse)).toEqual(['baseline', 'SD']);
    expect(r.body.warnings).toContain('1 earlier time point(s) before the chosen baseline are not compared');
  });

  it("lists only what follows since=, and follows a clinician's recorded target selection (who and when)", async () => {
    const since = await summary(`patient=${patient}&since=2025-03-01`);
    expect(since.body.timepoints.map((tp: Json) => tp.index)).toEqual([0, 1, 2]);
    const later = await summary(`patient=${patient}&since=2025-04-01`);
    // The baseline is always kept; the comparison still uses the whole series (the nadir of TP 1).
    expect(later.body.timepoints.map((tp: Json) => [tp.index, tp.nadirMm])).toEqual([
      [0, 90],
      [2, 63],
    ]);
    const l1 = (await summary(`patient=${patient}`)).body.timepoints[0].lesions.find(
      (l: Json) => l.trackingId === 'L1',
    );
    const selection = await create({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'urn:imaging-bridge:oncology', code: 'recist-target-selection' }] },
      subject: { reference: `Patient/${patient}` },
      issued: '2025-01-15T08:00:00Z',
      performer: [{ display: 'Dr Ada Onco' }],
      focus: [{ reference: l1.bodyStructure }],
    });
    const chosen = (await summary(`patient=${patient}`)).body;
    expect(chosen.targetSelection).toEqual({
      by: 'clinician',
      targets: ['L1'],
      observation: `Observation/${selection}`,
      recordedBy: 'Dr Ada Onco',
      recordedAt: '2025-01-15T08:00:00Z',
    });
    // L1 alone: 40 → 28 (-30 %, PR) → 30 (SD).
    expect(chosen.timepoints.map((tp: Json) => [tp.sumMm, tp.overallResponse])).toEqual([
      [40, 'baseline'],
      [28, 'PR'],
      [30, 'SD'],
    ]);
    const withdrawn = await send('DELETE', `${fhir}/Observation/${selection}`);
    expect(withdrawn.status).toBeLessThan(300);
  });

  it('answers a printable HTML page with a strict CSP and no script', async () => {
    const r = await summary(`patient=${patient}&question=${encodeURIComponent('Continue FOLFOX?')}`, 'text/html');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'sha256-/);
    expect(r.text).not.toMatch(/<script/i);
    expect(r.text).toContain('Continue FOLFOX?');
    expect(r.text).toContain('@page');
    // The console's viewer when the console is built, else WADO-RS.
    expect(r.text).toMatch(new RegExp(`href="${server.url}/(dicomweb/)?studies/${uid(1).replace(/\./g, '\\.')}"`));
  });

  it('answers a FHIR document: a Composition and the computed responses derived from the measurements', async () => {
    const r = await summary(`patient=${patient}`, 'application/fhir+json');
    expect(r.status).toBe(200);
    const bundle = r.body;
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'document' });
    expect(bundle.entry[0].resource.resourceType).toBe('Composition');
    const computed = bundle.entry.slice(1).map((e: Json) => e.resource);
    expect(computed.map((o: Json) => o.valueCodeableConcept.text)).toEqual(['PR', 'SD']);
    expect(computed[0].method.text).toBe('computed RECIST 1.1');
    expect(computed[0].derivedFrom.filter((d: Json) => d.reference.includes('/Observation/'))).toHaveLength(3);
    // Another system can store it: our own server accepts the document.
    const stored = await send('POST', `${fhir}/Bundle`, bundle);
    expect(stored.status, stored.text).toBe(201);
  });

  it('answers 404 for an unknown patient, 422 for a baseline of another patient, 400 for bad parameters, 406 for other types', async () => {
    expect((await summary('patient=no-such-patient')).status).toBe(404);
    const wrong = await summary(`patient=${patient}&baseline=${uid(9)}`);
    expect(wrong.status).toBe(422);
    expect(wrong.body.issue[0].expression).toEqual(['baseline']);
    const bad = await summary(`patient=${patient}&since=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression).toEqual(['since']);
    expect((await summary(`patient=${patient}&colour=blue`)).status).toBe(400);
    expect((await summary(`patient=${patient}`, 'image/png')).status).toBe(406);
  });

  it('answers 200 with no time points and a warning when the patient has no measurements', async () => {
    const r = await summary(`patient=${empty}`);
    expect(r.status).toBe(200);
    expect(r.body.timepoints).toEqual([]);
    expect(schemaErrors(r.body)).toEqual([]);
    expect(r.body.warnings.join('\n')).toContain('no lesion measurements');
  });
});
