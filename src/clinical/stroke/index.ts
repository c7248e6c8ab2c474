/** Emergency stroke: the IV thrombolysis contraindication check (docs/stroke.md). */
export { assessStroke } from './assess.js';
export { FACTORS, tierOf } from './guidelines.js';
export { DEFAULT_LAST_KNOWN_WELL, referenceTime, type CodeRef, type ReferenceTime } from './reference-time.js';
export * from './types.js';
export { parseStrokeConfig, STROKE_DEFAULTS, type StrokeConfig } from './config.js';
export { openStroke } from './open.js';
export { parseStrokeQuery, type StrokeRequest } from './params.js';
export { StrokeService, type StrokeAssessment } from './service.js';
export { StrokeAutoRun } from './auto-run.js';
export { isHeadStudy } from './head-study.js';
export { assessmentBundle, runIds, STROKE_SYSTEM } from './persist.js';
