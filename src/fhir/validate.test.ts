import { describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../core/errors.js';
import { testRegistry } from './repository/test-support.js';
import type { FhirResource } from './types.js';
import { validateFhirResource } from './validate.js';

function issuesOf(resource: FhirResource) {
  try {
    validateFhirResource(resource);
    return [];
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) throw e;
    expect(e.status).toBe(400);
    return e.outcome.issue.map((i) => ({ expression: i.expression?.[0], text: i.diagnostics }));
  }
}

describe('validation of writes against the R4 StructureDefinitions', () => {
  testRegistry();

  it('accepts a valid resource', () => {
    expect(
      issuesOf({ resourceType: 'Observation', status: 'final', code: { text: 'INR' }, valueQuantity: { value: 2.1 } }),
    ).toEqual([]);
  });

  it('names a missing required element, an unknown element and a wrong type', () => {
    const expressions = issuesOf({ resourceType: 'Observation', status: 'final', colour: 'red', issued: 12 }).map(
      (i) => i.expression,
    );
    expect(expressions).toEqual(
      expect.arrayContaining(['Observation.code', 'Observation.colour', 'Observation.issued']),
    );
  });

  it('names an element that repeats more often than its cardinality allows', () => {
    expect(issuesOf({ resourceType: 'Patient', gender: ['male', 'female'] }).map((i) => i.expression)).toContain(
      'Patient.gender',
    );
  });

  it('refuses a code outside a required binding, also inside data types and backbone elements', () => {
    const issues = issuesOf({
      resourceType: 'Patient',
      gender: 'M',
      telecom: [
        { system: 'pager', value: '1' },
        { system: 'beeper', value: '2' },
      ],
      contact: [{ gender: 'x', name: { family: 'Kin' } }],
    });
    expect(issues.map((i) => i.expression)).toEqual([
      'Patient.gender',
      'Patient.telecom[1].system',
      'Patient.contact[0].gender',
    ]);
    expect(issues[0].text).toContain('administrative-gender');
  });

  it('checks choice elements by their type (valueQuantity.comparator)', () => {
    const issues = issuesOf({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      valueQuantity: { value: 1, comparator: '~' },
    });
    expect(issues.map((i) => i.expression)).toEqual(['Observation.valueQuantity.comparator']);
  });

  it('leaves codes alone where the binding is not required (preferred, extensible)', () => {
    expect(
      issuesOf({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'urn:local', code: 'anything' }] },
        language: 'xx-YY',
      }),
    ).toEqual([]);
  });
});
