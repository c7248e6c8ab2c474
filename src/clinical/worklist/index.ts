/** Radiology worklist prioritization with clinical context: pure rules (docs/worklist.md). */
export * from './types.js';
export { parseWorklistConfig, WORKLIST_DEFAULTS, type WorklistConfig } from './config.js';
export { baseScore, compareRank, scoreStudy, tierOf, waitingSince, withAging, type Rankable } from './score.js';
export { aiObservationsOf } from './ai.js';
export { isEsi } from './clinical.js';
export { bodyParts, refersTo, time } from './read.js';
