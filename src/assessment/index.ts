/** The readiness assessment and drift reconciliation (docs/assessment.md). */
export { assess, type AssessOptions, type AssessTargets } from './assess.js';
export { FORMATS, renderAssessment, type Format } from './render.js';
export { parseDuration, parseSince, resolveTargets, type AssessRequest } from './targets.js';
export type { Assessment, Finding } from './types.js';
export { assessmentService, type AssessmentService } from './service.js';
export { applyReconcile, compareNow, type ApplyPorts } from './reconcile.js';
export { planReconcile, summarize, type ReconcileAction } from './reconcile-plan.js';
export { ORPHAN_TAG } from './fhir-studies.js';
export { heldOf, scheduledReconcile } from './scheduled-reconcile.js';
export { parseReconcileSchedule, ReconcileScheduler, type Drift } from './schedule.js';
