/** The inputs and outputs of the RECIST 1.1 comparison (docs/oncology.md). */
import type {
  BodyStructure,
  CodeableConcept,
  Condition,
  ImagingStudy,
  Medication,
  MedicationRequest,
  Observation,
  Procedure,
} from '@medplum/fhirtypes';

/** The patient's record as read; a section that could not be read is null. */
export interface OncologyRecord {
  observations: Observation[] | null;
  bodyStructures: BodyStructure[] | null;
  studies: ImagingStudy[] | null;
  conditions: Condition[] | null;
  medicationRequests: MedicationRequest[] | null;
  medications?: Medication[];
  procedures: Procedure[] | null;
}

export interface OncologyOptions {
  /** StudyInstanceUID of the study whose time point is the baseline. */
  baseline?: string;
  /** Only time points (and trends) on or after this date are listed; the comparison uses all. */
  since?: string;
  /** SNOMED codes of lymph node sites (codes/nodal-sites.json). */
  nodalSites: ReadonlySet<string>;
}

export type Axis = 'long' | 'short';
export type TargetResponse = 'CR' | 'PR' | 'SD' | 'PD' | 'NE' | 'baseline';
export type NonTargetResponse = 'CR' | 'non-CR/non-PD' | 'PD' | 'NE' | 'none';
export type OverallResponse = 'CR' | 'PR' | 'SD' | 'PD' | 'NE' | 'baseline';
export type Role = 'target' | 'non-target' | 'new';

/** One usable measurement: a length in tenths of a millimetre (integers keep thresholds exact). */
export interface Measurement {
  observation: string;
  lesionKey: string;
  trackingId?: string;
  trackingUid?: string;
  bodyStructure?: string;
  site?: CodeableConcept;
  /** 'diameter' is the lesion's one dimension (long axis, or short axis of a node). */
  kind: 'long' | 'short' | 'diameter';
  tenths: number;
  study: StudyRef;
  issued?: string;
}

export interface StudyRef {
  reference: string;
  studyInstanceUid?: string;
  started?: string;
  description?: string;
  modality?: string;
  /** Epoch ms of the study (started, else the measurement's effective time). */
  time: number;
}

export interface SummaryStudy {
  studyInstanceUid?: string;
  imagingStudy: string;
  description?: string;
  started?: string;
  modality?: string;
}

export interface LesionAtTimepoint {
  trackingId?: string;
  trackingUid?: string;
  bodyStructure?: string;
  site?: { code?: string; system?: string; text?: string };
  nodal: boolean;
  role: Role;
  axis: Axis;
  valueMm: number | null;
  observation?: string;
  status: 'measured' | 'disappeared' | 'not-measured';
}

export interface Timepoint {
  index: number;
  date: string;
  studies: SummaryStudy[];
  lesions: LesionAtTimepoint[];
  sumMm: number | null;
  changeFromBaselinePct: number | null;
  changeFromNadirPct: number | null;
  nadirMm: number | null;
  targetResponse: TargetResponse;
  nonTargetResponse: NonTargetResponse;
  newLesions: boolean;
  overallResponse: OverallResponse;
  reasons: string[];
}

/** How the targets were chosen: by the rules, or by a clinician's recorded selection. */
export interface TargetSelection {
  by: 'rules' | 'clinician';
  targets: string[];
  observation?: string;
  recordedBy?: string;
  recordedAt?: string;
}
