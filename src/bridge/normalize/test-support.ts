/** Builds DICOM JSON for rule tests: `ds({ '00080060': ['CS', 'mri '] })`. */
import type { DicomJson } from '../../dicom/types.js';
import type { NormalizeContext } from './types.js';

export function ds(attrs: Record<string, [vr: string, ...values: unknown[]]>): DicomJson {
  const out: DicomJson = {};
  for (const [tag, [vr, ...values]] of Object.entries(attrs)) out[tag] = values.length ? { vr, Value: values } : { vr };
  return out;
}

export const noProfile: NormalizeContext = { profile: {} };
