import { describe, expect, it } from 'vitest';
import { TEST_BASE, testRegistry } from '../repository/test-support.js';
import { compartmentCondition, compartmentPatients, inPatientCompartment } from './compartment.js';
import { matchesParams } from './match-resource.js';

const obs = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }], text: 'Glucose' },
  subject: { reference: 'Patient/p1' },
  performer: [{ reference: `${TEST_BASE}/Patient/p2` }, { reference: 'Practitioner/d1' }],
  effectiveDateTime: '2024-01-01',
};
const m = (query: string) => matchesParams(testRegistry(), obs, [...new URLSearchParams(query)], TEST_BASE);

describe('matching a resource against search parameters in memory', () => {
  it('judges tokens with system|code, |code, system| and :not', () => {
    expect(m('category=laboratory')).toBe(true);
    expect(m('category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory')).toBe(true);
    expect(m('category=http://other|laboratory')).toBe(false);
    expect(m('code=|2345-7')).toBe(false);
    expect(m('code=http://loinc.org|')).toBe(true);
    expect(m('status:not=final')).toBe(false);
    expect(m('status=final,amended&code=2345-7')).toBe(true);
  });

  it('judges references, _id and :missing', () => {
    expect(m('subject=Patient/p1')).toBe(true);
    expect(m('patient=p1')).toBe(true);
    expect(m('subject=Patient/p2')).toBe(false);
    expect(m('_id=o1')).toBe(true);
    expect(m('specimen:missing=true')).toBe(true);
  });

  it('leaves dates and numbers to the index, and matches nothing on unknown parameters', () => {
    expect(m('date=ge2020')).toBeUndefined();
    expect(m('status=amended&date=ge2020')).toBe(false);
    expect(m('nonsense=1')).toBe(false);
  });
});

describe('the Patient compartment', () => {
  it('finds the patients a resource belongs to through every compartment parameter', () => {
    expect(compartmentPatients(testRegistry(), obs, TEST_BASE).sort()).toEqual(['p1', 'p2']);
    expect(
      compartmentPatients(
        testRegistry(),
        { resourceType: 'Patient', id: 'p3', link: [{ other: { reference: 'Patient/p4' }, type: 'seealso' }] },
        TEST_BASE,
      ).sort(),
    ).toEqual(['p3', 'p4']);
    expect(compartmentPatients(testRegistry(), { resourceType: 'Medication', id: 'm' }, TEST_BASE)).toEqual([]);
    expect(inPatientCompartment('ImagingStudy')).toBe(true);
    expect(inPatientCompartment('Endpoint')).toBe(false);
  });

  it('turns into one search condition per type', () => {
    expect(compartmentCondition(testRegistry(), 'ImagingStudy', 'p1')).toMatchObject({
      kind: 'reference',
      values: [{ targetType: 'Patient', id: 'p1' }],
    });
    expect(compartmentCondition(testRegistry(), 'Observation', 'p1')).toMatchObject({
      kind: 'any',
      groups: [[{ kind: 'reference' }], [{ kind: 'reference' }]],
    });
    expect(compartmentCondition(testRegistry(), 'Medication', 'p1')).toBeUndefined();
  });
});
