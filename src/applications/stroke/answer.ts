import type { ApplicationSource } from '../record-search.js';
/** The answer of GET /api/stroke/assessment, shared by the service that builds it and the run that persists it. */
import type { Factor, FactorId, Guideline, ReferenceTimeSource } from '../../clinical/stroke/index.js';
import type { PatientContext } from '../../context/index.js';

/** The JSON answer of GET /api/stroke/assessment (docs/stroke-assessment.schema.json). */
export interface StrokeAssessment {
  patient: PatientContext['patient'];
  study: { studyInstanceUid: string; started?: string; description?: string } | null;
  guideline: Guideline;
  referenceTime: string;
  referenceTimeSource: ReferenceTimeSource;
  generatedAt: string;
  factors: Factor[];
  present: FactorId[];
  unknown: FactorId[];
  complete: boolean;
  sources: StrokeSource[];
}

/** One query made for the assessment: the context API's form, `section` naming the stroke input. */
export type StrokeSource = ApplicationSource;
