/** Emergency stroke, the service side: reads the record, runs the rules of clinical/stroke, persists the runs (docs/stroke.md). */
export { parseStrokeConfig, STROKE_DEFAULTS, type StrokeConfig } from './config.js';
export { openStroke } from './open.js';
export { parseStrokeQuery, type StrokeRequest } from './params.js';
export type { StrokeAssessment, StrokeSource } from './answer.js';
export { StrokeService } from './service.js';
export { StrokeAutoRun } from './auto-run.js';
export { assessmentBundle, RUN_CODE, runIds, STROKE_SYSTEM } from './persist.js';
export { parseRecentQuery, RECENT_MAX, type RecentPage, type RecentRequest, type RecentRun } from './recent.js';
export type { StrokeRunEvent } from './events.js';
