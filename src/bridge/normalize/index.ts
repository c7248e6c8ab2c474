/** Public API of the normalizer: vendor quirks in DICOM JSON → corrected JSON + findings. */
export type {
  Finding,
  FindingSource,
  InstanceRule,
  NormalizeContext,
  RuleResult,
  Severity,
  SourceProfile,
  StudyRule,
} from './types.js';
export {
  INSTANCE_RULES,
  STUDY_RULES,
  applyProfile,
  normalizeInstance,
  normalizeStudy,
  type NormalizedStudy,
} from './registry.js';
export { resolveBodyPart } from './body-part.js';
