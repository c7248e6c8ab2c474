/** Emergency stroke: the IV thrombolysis contraindication check's pure rules (docs/stroke.md). */
export { assessStroke } from './assess.js';
export { FACTORS, tierOf } from './guidelines.js';
export {
  DEFAULT_LAST_KNOWN_WELL,
  referenceTime,
  type CodeRef,
  type ReferenceTime,
  type ReferenceTimeSource,
} from './reference-time.js';
export * from './types.js';
export { DEFAULT_HEAD_STUDY_RULE, isHeadStudy, type HeadStudyRule } from './head-study.js';
