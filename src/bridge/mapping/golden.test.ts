/**
 * Golden files: golden/<case>.input.json (DICOM JSON instances of one study + the source's
 * context and profile) → golden/<case>.expected.json (normalizer and mapping findings, the
 * ImagingStudy and the Patient). Run with UPDATE_GOLDEN=1 to rewrite the expected files,
 * then review the diff.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../dicom/types.js';
import { normalizeStudy } from '../normalize/registry.js';
import type { SourceProfile } from '../normalize/types.js';
import { mapImagingStudy, type ImagingStudyContext } from './imaging-study.js';
import { mapPatient } from './patient.js';
import { expectGolden, expectValidR4, readJsonFile } from './test-support.js';

interface GoldenInput {
  description: string;
  context: ImagingStudyContext;
  profile: SourceProfile;
  instances: DicomJson[];
}

const dir = new URL('./golden/', import.meta.url);
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.input.json'))
  .map((f) => f.replace('.input.json', ''))
  .sort();

describe('golden files: DICOM JSON of a study becomes the expected FHIR resources', () => {
  it('has the six reference studies', () => {
    expect(cases).toEqual([
      'ct-multi-series',
      'missing-study-time',
      'mr-japanese-names',
      'sr-title',
      'timezone-offset',
      'vendor-quirks',
    ]);
  });

  for (const name of cases) {
    it(`maps ${name} to valid R4 resources equal to the golden file`, () => {
      const input = readJsonFile<GoldenInput>(new URL(`${name}.input.json`, dir));
      const normalized = normalizeStudy(input.instances, { profile: input.profile, source: { aeTitle: 'TEST_SCU' } });
      const mapped = mapImagingStudy(normalized.instances, input.context);
      const patient = mapPatient(normalized.instances[0]!, input.context);
      expectValidR4(mapped.imagingStudy);
      expectValidR4(patient);
      expectGolden(new URL(`${name}.expected.json`, dir), {
        description: input.description,
        quarantine: normalized.quarantine,
        findings: [...normalized.findings, ...mapped.findings],
        imagingStudy: mapped.imagingStudy,
        patient,
      });
    });
  }
});
