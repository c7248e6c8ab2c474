/**
 * The patient context document (GET /api/context, docs/context-api.schema.json) and the summary
 * of each section, in one module: what the clinical rules (stroke, worklist, oncology) read as
 * pure functions over typed data. The builders (clinical.ts, imaging.ts, medications.ts,
 * observations.ts) make them from FHIR R4 resources.
 */
import type { SectionName } from './sections.js';

/** A Coding as the context reports it: only the string elements that were there. */
export interface CodingOut {
  system?: string;
  code?: string;
  display?: string;
}

/** A CodeableConcept as codings + text (text falls back to the first display). */
export interface Concept {
  coding: CodingOut[];
  text?: string;
}

/** A medication's active ingredient, and how it was found (ingredients.ts). */
export interface Ingredient {
  system?: string;
  code?: string;
  display: string;
  source: 'rxnorm-table' | 'as-coded' | 'text';
}

export interface Period {
  start?: string;
  end?: string;
}

export interface PatientSummary {
  id: string;
  identifier: { system?: string; value?: string }[];
  name?: string;
  gender?: string;
  birthDate?: string;
  deceased?: boolean | string;
}

export interface ConditionSummary {
  id: string;
  code?: Concept;
  clinicalStatus?: string;
  verificationStatus?: string;
  category: string[];
  onset?: string;
  abatement?: string;
  recorded?: string;
  stage?: string;
  note?: string;
}

export interface AllergySummary {
  id: string;
  code?: Concept;
  clinicalStatus?: string;
  verificationStatus?: string;
  type?: string;
  category: string[];
  criticality?: string;
  reactions: string[];
  recorded?: string;
}

export interface FlagSummary {
  id: string;
  status?: string;
  code?: Concept;
  category: string[];
  period?: Period;
}

export interface EncounterSummary {
  id: string;
  status?: string;
  class?: CodingOut;
  /** In progress (or arrived/triaged): the patient is here now. */
  current: boolean;
  period?: Period;
  /** The active location (else the last one), its name from the Location when we have it. */
  location?: { id?: string; display?: string; status?: string };
  reason: string[];
}

export interface MedicationSummary {
  id: string;
  resourceType: 'MedicationRequest' | 'MedicationStatement' | 'MedicationAdministration';
  status?: string;
  /** `active`: ordered or taken now; `recent`: given, stopped or completed within the window. */
  state: 'active' | 'recent';
  ingredient?: Ingredient;
  medication?: Concept;
  dosage?: string;
  /** When it was ordered (request), last taken (statement) or given (administration). */
  date?: string;
}

export interface ObservationValue {
  id: string;
  effective?: string;
  status?: string;
  value?: number | string | boolean;
  unit?: string;
  /** As recorded, when the unit was normalized. */
  original?: { value: number; unit?: string };
  interpretation?: string;
}

export interface TrendPoint {
  effective?: string;
  value: number;
  unit?: string;
  status?: string;
}

/** The latest value of one code (LOINC preferred as the grouping key). */
export interface ObservationSummary {
  code: CodingOut & { text?: string };
  category: string[];
  latest: ObservationValue;
  /** Oldest first; labs and vital signs with a numeric value only. */
  trend?: TrendPoint[];
  /** The normal range given by the latest Observation of the code that has one, in the unit of `latest`. */
  referenceRange?: ReferenceRange;
}

export interface ReferenceRange {
  low?: number;
  high?: number;
  unit?: string;
  /** The range as text, when the Observation gives one (e.g. "< 5.7 %", "negative"). */
  text?: string;
}

export interface SeriesSummary {
  uid: string;
  number?: number;
  modality?: string;
  description?: string;
  bodySite?: CodingOut;
  laterality?: CodingOut;
  numberOfInstances?: number;
  retrieveUrl: string;
  metadataUrl: string;
}

export interface StudySummary {
  id: string;
  studyInstanceUid?: string;
  accession?: string;
  status?: string;
  started?: string;
  description?: string;
  modality: string[];
  bodySite: CodingOut[];
  numberOfSeries?: number;
  numberOfInstances?: number;
  retrieveUrl?: string;
  metadataUrl?: string;
  series: SeriesSummary[];
}

/** One result Observation of a report (an AI finding: value, confidence, tracking id). */
export interface ReportFinding {
  id: string;
  code?: Concept;
  bodySite?: Concept;
  value?: number | string;
  unit?: string;
  confidence?: number;
  trackingId?: string;
}

export interface ReportSummary {
  id: string;
  status?: string;
  code?: Concept;
  category: Concept[];
  effective?: string;
  issued?: string;
  conclusion?: string;
  /** ImagingStudy ids and, when we know them, their StudyInstanceUIDs. */
  imagingStudy: { id?: string; studyInstanceUid?: string }[];
  ai: boolean;
  /** The algorithm (Device) its results name: `model version`. */
  device?: string;
  findings: ReportFinding[];
}

/** One query made (or deliberately not made) for the context. */
export interface SourceRecord {
  section: SectionName | 'patient';
  /** `embedded` or the name of the external server in fhir.servers. */
  server: string;
  /** The FHIR interaction, e.g. `Condition?patient=123&_count=1000`. */
  request: string;
  /** `denied`: the caller may not see it (no query made); `truncated`: more matches than one page. */
  status: 'ok' | 'truncated' | 'error' | 'timeout' | 'denied';
  durationMs: number;
  count?: number;
  error?: string;
}

/** The summary type of each section's items. */
export interface SectionSummaries {
  imagingStudies: StudySummary;
  conditions: ConditionSummary;
  medications: MedicationSummary;
  observations: ObservationSummary;
  allergies: AllergySummary;
  encounters: EncounterSummary;
  flags: FlagSummary;
  reports: ReportSummary;
}

/** Each section's items: absent when not asked for, null when its query failed or was denied (see sources). */
export type SectionItems = { [S in SectionName]?: SectionSummaries[S][] | null };

/** The JSON document of GET /api/context. */
export interface PatientContext extends SectionItems {
  patient: PatientSummary;
  /** False when a section is null (failed or denied) or a query was truncated. */
  complete: boolean;
  sources: SourceRecord[];
}
