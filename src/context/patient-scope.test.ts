import { describe, expect, it } from 'vitest';
import { patientsOf, searchScope } from './patient-scope.js';

const targets = (_type: string, code: string) =>
  code === 'patient' ? ['Patient'] : code === 'subject' ? ['Patient', 'Group'] : undefined;

describe('searchScope', () => {
  it('names the one Patient a search is restricted to', () => {
    expect(searchScope('Observation', [['patient', 'p1']], targets)).toBe('p1');
    expect(searchScope('Observation', [['patient', 'Patient/p1']], targets)).toBe('p1');
    expect(searchScope('Observation', [['subject', 'http://x/fhir/Patient/p1']], targets)).toBe('p1');
    expect(
      searchScope(
        'Observation',
        [
          ['code', 'a'],
          ['subject:Patient', 'p1'],
        ],
        targets,
      ),
    ).toBe('p1');
  });
  it('names none when the search could find another patient or another type', () => {
    expect(searchScope('Observation', [['patient', 'p1,p2']], targets)).toBeUndefined();
    expect(searchScope('Observation', [['subject', 'p1']], targets)).toBeUndefined(); // could be Group/p1
    expect(searchScope('Observation', [['subject', 'Group/g']], targets)).toBeUndefined();
    expect(searchScope('Observation', [['patient:missing', 'true']], targets)).toBeUndefined();
    expect(searchScope('Observation', [['code', 'a']], targets)).toBeUndefined();
  });
});

describe('patientsOf', () => {
  it('finds every Patient referred to, anywhere, and a Patient itself', () => {
    expect(
      patientsOf({
        resourceType: 'Observation',
        subject: { reference: 'Patient/a' },
        performer: [{ reference: 'Practitioner/x' }, { reference: 'http://x/fhir/Patient/b/_history/2' }],
        contained: [{ resourceType: 'Provenance', target: [{ reference: 'Patient/c' }] }],
        extension: [{ url: 'u', valueReference: { reference: '#p' } }],
      } as never)?.sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(patientsOf({ resourceType: 'Patient', id: 'me' })).toEqual(['me']);
  });
  it('is undefined when a reference cannot be told apart from a Patient', () => {
    expect(patientsOf({ resourceType: 'Observation', subject: { reference: 'a' } } as never)).toBeUndefined();
    expect(patientsOf({ resourceType: 'Observation', subject: { reference: 'urn:uuid:1' } } as never)).toBeUndefined();
    expect(
      patientsOf({ resourceType: 'Observation', subject: { reference: 'Patient?identifier=http://h/mrn|1' } } as never),
    ).toBeUndefined();
  });
});
