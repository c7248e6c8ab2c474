/** The worklist score: what the rules read about one study, and what they answer (docs/worklist.md). */
import type {
  DiagnosticReport,
  Encounter,
  Flag,
  ImagingStudy,
  Location,
  Observation,
  ServiceRequest,
} from '@medplum/fhirtypes';

export const TIERS = ['read-now', 'within-1h', 'this-shift', 'routine'] as const;
export type Tier = (typeof TIERS)[number];

export const TERM_NAMES = ['order', 'setting', 'override', 'ai', 'clinical', 'novelty', 'aging'] as const;
export type TermName = (typeof TERM_NAMES)[number];

/** One contribution to the score, with the resources it read (`Type/id`). */
export interface Term {
  term: TermName;
  points: number;
  reason: string;
  evidence: string[];
}

export const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'] as const;
export type OrderPriority = (typeof PRIORITIES)[number];

/** Everything the rules read about one study: plain FHIR resources, no I/O. */
export interface StudyRecord {
  study: ImagingStudy;
  /** The order of the study and how it was found. */
  order?: { request: ServiceRequest; via: 'basedOn' | 'accession' };
  /** DICOM Requested Procedure Priority (0040,1003) as stored in the archive. */
  dicomPriority?: string;
  /** The patient's encounters (the rules keep the current ones) and the Locations they name, by `Location/id`. */
  encounters: Encounter[];
  locations: ReadonlyMap<string, Location>;
  /** The patient's Flags, any status (the rules keep the active ones). */
  flags: Flag[];
  /** The patient's triage (ESI) Observations and AI-result Observations. */
  observations: Observation[];
  /** The patient's reports (the service uses them for read / unread; the rules do not score them). */
  reports?: DiagnosticReport[];
  /** The patient's other studies (priors). */
  priors: ImagingStudy[];
  /** When the study arrived (epoch ms); aging counts from here (else from its start). */
  received?: number;
}

/** The part of the score that does not move with the clock (aging is added on read). */
export interface BaseScore {
  terms: Term[];
  /** An active code-stroke / trauma activation: top tier, ranked above every study without one. */
  overridden: boolean;
  /** Routine for aging and novelty: routine priority, or none known outside ED/ICU. */
  routine: boolean;
}

export interface Score extends BaseScore {
  score: number;
  tier: Tier;
}
