/** series.laterality from Laterality (0020,0060), else ImageLaterality (0020,0062); U or empty → omitted. */
import type { DicomJson } from '../../dicom/types.js';
import { str, TAG } from './dicom-read.js';
import type { Coding } from './fhir-types.js';
import { SNOMED_SYSTEM } from './systems.js';
import { own } from '../../core/own.js';

const LATERALITY: Record<string, Coding> = {
  L: { system: SNOMED_SYSTEM, code: '419161000', display: 'Unilateral left' },
  R: { system: SNOMED_SYSTEM, code: '419465000', display: 'Unilateral right' },
  B: { system: SNOMED_SYSTEM, code: '51440002', display: 'Bilateral' },
};

export function lateralityOf(json: DicomJson): Coding | undefined {
  const value = str(json, TAG.Laterality) ?? str(json, TAG.ImageLaterality);
  const coding = value ? own(LATERALITY, value.toUpperCase()) : undefined;
  return coding ? { ...coding } : undefined;
}
