import { describe, expect, it } from 'vitest';
import type { FhirResource } from '../../fhir/types.js';
import { affectedByRecord, type RecordLookups } from './record-changes.js';

/** Our patients p1 (linked to the EHR's e1) and p2 (not linked, MRN M2); study s1 has accession A-1. */
function lookups(): RecordLookups & { forgotten: string[] } {
  const forgotten: string[] = [];
  return {
    forgotten,
    linkedTo: (id) => (id === 'e1' ? ['p1'] : []),
    sharingIdentifier: (tokens) => (tokens.includes('urn:mrn|M2') ? ['p2'] : []),
    studiesOfOrder: (r) => (r.identifiers.includes('urn:acc|A-1') ? ['s1'] : []),
    patientsAt: (ref) => (ref === 'Location/er' ? ['p1'] : []),
    forgetLocation: (id) => forgotten.push(id),
  };
}
const r = (x: Record<string, unknown>) => x as unknown as FhirResource;

describe('affectedByRecord', () => {
  it('maps EHR changes to our patients by the link and to our studies by accession, never by EHR id alone', () => {
    const l = lookups();
    const out = affectedByRecord(
      [
        r({ resourceType: 'Flag', id: 'f', subject: { reference: 'Patient/e1' } }),
        r({ resourceType: 'Encounter', id: 'x', subject: { reference: 'Patient/unknown' } }),
        r({ resourceType: 'Patient', id: 'e2', identifier: [{ system: 'urn:mrn', value: 'M2' }] }),
        r({ resourceType: 'ServiceRequest', id: 'o', identifier: [{ system: 'urn:acc', value: 'A-1' }] }),
        r({ resourceType: 'Location', id: 'er' }),
      ],
      l,
    );
    expect(out.patients.sort()).toEqual(['p1', 'p2']);
    expect(out.orders).toEqual(['s1']);
    expect(l.forgotten).toEqual(['er']);
  });

  it('ignores changes of patients linked to none of ours', () => {
    const out = affectedByRecord(
      [r({ resourceType: 'DiagnosticReport', id: 'd', subject: { reference: 'Patient/e9' } })],
      lookups(),
    );
    expect(out).toEqual({ patients: [], orders: [] });
  });
});
