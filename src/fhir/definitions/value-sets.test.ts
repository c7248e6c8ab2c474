import { describe, expect, it } from 'vitest';
import { valueSetCodes } from './value-sets.js';

describe('valueSetCodes (slim index of the R4 ValueSets and CodeSystems)', () => {
  it('expands ValueSets over whole complete CodeSystems', () => {
    expect([...(valueSetCodes('http://hl7.org/fhir/ValueSet/administrative-gender') ?? [])].sort()).toEqual([
      'female',
      'male',
      'other',
      'unknown',
    ]);
    // ImagingStudy.status is bound (required) to imagingstudy-status, a hierarchy-free complete CodeSystem.
    expect(valueSetCodes('http://hl7.org/fhir/ValueSet/imagingstudy-status|4.0.1')).toEqual(
      new Set(['registered', 'available', 'cancelled', 'entered-in-error', 'unknown']),
    );
  });

  it('answers null for a ValueSet it cannot enumerate and for an unknown one', () => {
    expect(valueSetCodes('http://hl7.org/fhir/ValueSet/no-such-value-set')).toBeNull();
    // languages: an include of the external urn:ietf:bcp:47 (not a complete CodeSystem here)
    expect(valueSetCodes('http://hl7.org/fhir/ValueSet/all-languages')).toBeNull();
  });
});
