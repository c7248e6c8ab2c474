import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../dicom/types.js';
import cases from './data/patient-identifier-cases.json' with { type: 'json' };
import { mapPatient } from './patient.js';

describe('the DICOM patient → FHIR identifier cases of docs/patient-identifiers.md', () => {
  it.each(cases.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [identifier] = mapPatient(c.dicom as DicomJson, c.config as Parameters<typeof mapPatient>[1]).identifier;
    expect(identifier).toEqual({
      use: 'usual',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
      ...c.identifier,
    });
  });
});
