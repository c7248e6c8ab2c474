import { describe, expect, it } from 'vitest';
import { FhirProtocolError } from './errors.js';
import { pathBelowBase } from './links.js';

describe('pathBelowBase', () => {
  it('keeps the path below the base and the raw query of a next link', () => {
    expect(
      pathBelowBase('https://ehr.example/fhir/R4', 'https://ehr.example/fhir/R4/Patient?name=a%2Bb&_offset=20', 'x'),
    ).toEqual({ path: 'Patient', query: 'name=a%2Bb&_offset=20' });
    expect(pathBelowBase('https://ehr.example/fhir', '/fhir/Patient/1/_history/2', 'x')).toEqual({
      path: 'Patient/1/_history/2',
    });
  });

  it('accepts a link naming another host (a server behind a proxy) but only under the base path', () => {
    expect(pathBelowBase('https://ehr.example/fhir', 'http://internal:8080/fhir/Patient?_offset=3', 'x')).toEqual({
      path: 'Patient',
      query: '_offset=3',
    });
    expect(() => pathBelowBase('https://ehr.example/fhir', 'https://ehr.example/admin/x', 'x')).toThrow(
      FhirProtocolError,
    );
    expect(() => pathBelowBase('https://ehr.example/fhir', 'https://ehr.example/fhirx/Patient', 'x')).toThrow(
      FhirProtocolError,
    );
  });
});
