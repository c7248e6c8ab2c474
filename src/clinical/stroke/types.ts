/**
 * The stroke thrombolysis check's inputs and answer. Inputs are FHIR R4 resources as read from
 * the record; a section that could not be read is `null` (its factors become unknown).
 */
import type {
  Condition,
  DiagnosticReport,
  Medication,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Procedure,
} from '@medplum/fhirtypes';

export const FACTOR_IDS = [
  'blood-pressure',
  'platelets',
  'coagulation',
  'glucose',
  'doac',
  'lmwh',
  'prior-ich',
  'recent-ischemic-stroke',
  'head-trauma',
  'intracranial-surgery',
  'gi-bleed-or-malignancy',
  'aortic-dissection',
  'endocarditis',
  'intracranial-neoplasm',
  'pregnancy',
  'current-hemorrhage',
] as const;
export type FactorId = (typeof FACTOR_IDS)[number];

export const GUIDELINES = ['aha-2019', 'aha-2026'] as const;
export type Guideline = (typeof GUIDELINES)[number];

export type FactorStatus = 'present' | 'absent' | 'unknown';

export interface Evidence {
  /** `Observation/123`. */
  reference: string;
  display?: string;
  value?: number | string | boolean;
  unit?: string;
  effective?: string;
  status?: string;
}

/** What one rule found, before the guideline gives it a label and a tier. */
export interface Finding {
  status: FactorStatus;
  reason: string;
  evidence: Evidence[];
  /** A tier variant of the factor (intracranial-neoplasm `extra-axial`, trauma/surgery `recent`). */
  variant?: string;
}

export interface Factor extends Finding {
  id: FactorId;
  label: string;
  tier: string;
}

export interface MedicationRecord {
  requests: MedicationRequest[];
  statements: MedicationStatement[];
  administrations: MedicationAdministration[];
  /** Medication resources the others reference (`_include`). */
  medications: Medication[];
}

/** The AI results and reports read for the study assessed. */
export interface StudyResults {
  /** Reports on the study (`imagingStudy`) and the Observations they hold or that are `partOf` the study. */
  reports: DiagnosticReport[];
  observations: Observation[];
}

/** A section that failed: why (shown in the factor's reason). `null` sections carry one. */
export interface Failure {
  section: string;
  error: string;
}

export interface StrokeRecord {
  patient: Patient;
  observations: Observation[] | null;
  conditions: Condition[] | null;
  procedures: Procedure[] | null;
  medications: MedicationRecord | null;
  /** null: no study asked for, or the results could not be read (see failures). */
  results: StudyResults | null;
  /** `ImagingStudy/<id>` of the study assessed, when there is one. */
  study?: string;
  failures?: Failure[];
}

export interface RuleContext {
  record: StrokeRecord;
  /** Epoch ms: windows count back from here. */
  referenceTime: number;
  /** Epoch ms: when the assessment runs; labs drawn after the reference time count up to here. */
  assessedAt: number;
}

export type Rule = (c: RuleContext) => Finding;

export interface Assessment {
  guideline: Guideline;
  factors: Factor[];
  present: FactorId[];
  unknown: FactorId[];
}
