/** The radiology worklist service (docs/worklist.md). */
export { openWorklist } from './open.js';
export { WorklistService, type WorklistEvent, type WorklistPage } from './service.js';
export { parseWorklistQuery, type WorklistQuery } from './params.js';
export type { DicomStudyFacts, DicomStudyPort } from './ports.js';
export type { WorklistItem } from './view.js';
