import { describe, expect, it } from 'vitest';
import type { FhirResource } from '../../fhir/types.js';
import { mapEndpoint } from '../mapping/index.js';
import {
  findingsOf,
  InvalidResourceError,
  r4ResourceProblems,
  R4_VALIDATION_RULE,
  validateBeforeWrite,
} from './validate-before-write.js';

type Json = any;

const study: FhirResource = {
  resourceType: 'ImagingStudy',
  status: 'available',
  subject: { reference: 'urn:uuid:7f3b4a6e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' },
  started: '2024-01-01T12:00:00+01:00',
  numberOfInstances: 1,
  series: [
    {
      uid: '1.2.3.4',
      modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
      instance: [
        { uid: '1.2.3.4.5', sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } },
      ],
    },
  ],
};

describe('validateBeforeWrite', () => {
  it('passes valid resources: an ImagingStudy, a Patient and the mapped Endpoint', () => {
    const patient: FhirResource = {
      resourceType: 'Patient',
      identifier: [{ system: 'urn:imaging-bridge:patient-id', value: 'P1' }],
      gender: 'female',
      birthDate: '1970-01-01',
    };
    expect(() =>
      validateBeforeWrite([study, patient, mapEndpoint('http://ib.test/dicomweb') as unknown as FhirResource]),
    ).not.toThrow();
  });

  it('names every problem of every resource: structure, unknown elements, required bindings, primitive formats, empty strings', () => {
    const broken = structuredClone(study) as Json;
    delete broken.series[0].modality;
    broken.status = 'done';
    broken.started = '2024-01-01T12:00:00';
    broken.description = '';
    broken.bogus = 1;
    const patient = { resourceType: 'Patient', gender: 'w', birthDate: '1970-13-40' } as FhirResource;
    let error: unknown;
    try {
      validateBeforeWrite([broken, patient]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidResourceError);
    const problems = (error as InvalidResourceError).problems.map((p) => p.expression);
    expect(problems).toEqual(
      expect.arrayContaining([
        'ImagingStudy.series[0].modality',
        'ImagingStudy.status',
        'ImagingStudy.started',
        'ImagingStudy.description',
        'ImagingStudy.bogus',
        'Patient.gender',
        'Patient.birthDate',
      ]),
    );
    expect((error as Error).message).toMatch(
      /^not written: invalid R4 ImagingStudy, Patient \(ImagingStudy\.series\[0\]\.modality: Missing required property/,
    );
    // The message names elements, not values (it goes to the log and the dead-letter list).
    expect((error as Error).message).not.toContain('1970-13-40');
    const findings = findingsOf(error as InvalidResourceError);
    expect(findings).toContainEqual(
      expect.objectContaining({
        rule: R4_VALIDATION_RULE,
        severity: 'error',
        tag: 'ImagingStudy.started',
        message: 'ImagingStudy not written: not a valid dateTime',
      }),
    );
  });

  it('reports one problem per element even when both checks catch it', () => {
    const problems = r4ResourceProblems({ ...study, started: 'yesterday' } as FhirResource);
    expect(problems.filter((p) => p.expression === 'ImagingStudy.started')).toHaveLength(1);
  });
});
