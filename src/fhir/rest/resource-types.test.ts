import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAuditEvent } from '../audit-events.js';
import { openTestRouter } from './test-support.js';

const P = { reference: 'Patient/p1' };
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SCT = 'http://snomed.info/sct';
const apixaban = { coding: [{ system: RXNORM, code: '1364430' }] };

/** A minimal valid resource of each type the clinical features rely on, and a search that must find it. */
const CASES: [Record<string, unknown>, string][] = [
  [{ resourceType: 'Patient', id: 'p1', gender: 'male', birthDate: '1940-02-03' }, 'gender=male&birthdate=lt1950'],
  [
    {
      resourceType: 'ImagingStudy',
      status: 'available',
      subject: P,
      started: '2024-01-01T08:00:00Z',
      identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' }],
      series: [{ uid: '1.2.3.4', modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' } }],
      endpoint: [{ reference: 'Endpoint/e1' }],
    },
    'modality=CT&patient=p1&started=2024-01&identifier=urn:dicom:uid|urn:oid:1.2.3&endpoint=Endpoint/e1',
  ],
  [
    {
      resourceType: 'Endpoint',
      id: 'e1',
      status: 'active',
      address: 'http://ib.test/dicomweb',
      payloadType: [{ text: 'DICOM' }],
      connectionType: {
        system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
        code: 'dicom-wado-rs',
      },
    },
    'connection-type=dicom-wado-rs&status=active',
  ],
  [
    {
      resourceType: 'Encounter',
      status: 'in-progress',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' },
      subject: P,
      period: { start: '2024-01-01T10:00:00Z' },
    },
    'class=EMER&date=ge2024-01-01&patient=p1&status=in-progress',
  ],
  [{ resourceType: 'Location', name: 'ICU Bed 4', status: 'active' }, 'name=icu&status=active'],
  [
    {
      resourceType: 'Condition',
      subject: P,
      onsetDateTime: '2020-05-01',
      code: { coding: [{ system: SCT, code: '274100004' }] },
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
    },
    `code=${SCT}|274100004&clinical-status=active&onset-date=2020`,
  ],
  [
    {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '6301-6' }] },
      subject: P,
      valueQuantity: { value: 2.8 },
    },
    'code=6301-6&value-quantity=gt2.5',
  ],
  [
    {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: apixaban,
      subject: P,
      authoredOn: '2024-01-01',
    },
    'code=1364430&status=active&authoredon=2024',
  ],
  [
    {
      resourceType: 'MedicationStatement',
      status: 'active',
      medicationCodeableConcept: apixaban,
      subject: P,
      effectiveDateTime: '2024-01-01',
    },
    'code=1364430&patient=p1&effective=2024',
  ],
  [
    {
      resourceType: 'MedicationAdministration',
      status: 'completed',
      medicationCodeableConcept: apixaban,
      subject: P,
      effectiveDateTime: '2024-01-01T10:00:00Z',
    },
    'code=1364430&effective-time=2024-01-01',
  ],
  [
    {
      resourceType: 'AllergyIntolerance',
      patient: P,
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }],
      },
      code: { coding: [{ system: SCT, code: '764146007' }] },
    },
    'code=764146007&patient=p1',
  ],
  [
    {
      resourceType: 'Procedure',
      status: 'completed',
      subject: P,
      code: { coding: [{ system: SCT, code: '367336001' }] },
      performedDateTime: '2024-01-01',
    },
    'code=367336001&date=2024-01-01',
  ],
  [
    {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: P,
      identifier: [{ system: 'urn:ib:accession', value: 'ACC-1' }],
      code: { text: 'CT head' },
    },
    'identifier=urn:ib:accession|ACC-1&intent=order',
  ],
  [
    {
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '18748-4' }] },
      subject: P,
      effectiveDateTime: '2024-01-02',
    },
    'code=18748-4&date=2024&subject=Patient/p1',
  ],
  [
    {
      resourceType: 'Flag',
      status: 'active',
      code: { text: 'Anticoagulated' },
      subject: P,
      period: { start: '2024-01-01' },
    },
    'subject=Patient/p1&date=ge2024-06',
  ],
  [
    { resourceType: 'BodyStructure', patient: P, location: { coding: [{ system: SCT, code: '12738006' }] } },
    'location=12738006&patient=p1',
  ],
  [
    {
      resourceType: 'Device',
      status: 'active',
      manufacturer: 'ACME Imaging',
      deviceName: [{ name: 'CT scanner', type: 'user-friendly-name' }],
    },
    'manufacturer=acme&device-name=ct',
  ],
  [{ resourceType: 'Practitioner', name: [{ family: 'House', given: ['Greg'] }] }, 'name=hou&family:exact=House'],
  [{ resourceType: 'Organization', name: 'General Hospital', active: true }, 'name:contains=hospital&active=true'],
  [
    {
      resourceType: 'Subscription',
      status: 'active',
      reason: 'bridge',
      criteria: 'ImagingStudy?',
      channel: { type: 'rest-hook', endpoint: 'http://ib.test/hook' },
    },
    'status=active&url=http://ib.test/hook&type=rest-hook',
  ],
  [
    {
      resourceType: 'Provenance',
      target: [P],
      recorded: '2024-01-01T10:00:00Z',
      agent: [{ who: { display: 'bridge' } }],
    },
    'target=Patient/p1&recorded=2024-01-01',
  ],
];

describe('FHIR router: the resource types the clinical features use', () => {
  let t: ReturnType<typeof openTestRouter>;
  beforeAll(() => {
    t = openTestRouter();
  });
  afterAll(() => t.close());

  for (const [resource, query] of CASES) {
    it(`stores a ${resource.resourceType} and finds it with ${query}`, async () => {
      const written = resource.id
        ? await t.call('PUT', `${resource.resourceType}/${resource.id}`, resource)
        : await t.call('POST', String(resource.resourceType), resource);
      expect(written.status, JSON.stringify(written.body)).toBe(201);
      const found = await t.call('GET', `${resource.resourceType}?${query}`);
      expect(found.status, JSON.stringify(found.body)).toBe(200);
      expect(found.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toContain(written.body.id);
    });
  }

  it('stores an AuditEvent written internally and finds it by action, date and agent', async () => {
    const ev = await recordAuditEvent(t.repo, {
      resourceType: 'AuditEvent',
      action: 'R',
      recorded: '2024-01-01T10:00:00Z',
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
      agent: [{ requestor: true, who: { reference: 'Practitioner/pr1' } }],
      source: { observer: { display: 'ImagingBridge' } },
    });
    const found = await t.call('GET', 'AuditEvent?action=R&date=2024-01-01&agent=Practitioner/pr1');
    expect(found.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([ev.id]);
  });
});
