/**
 * The contract of normalization rules: a rule reads one instance (or, for study rules, all
 * instances of a study) and returns a corrected copy plus what it found. Rules never mutate
 * their input and do no I/O; everything they need comes in the context.
 */
import type { DicomJson } from '../../dicom/types.js';

export type Severity = 'info' | 'warning' | 'error';

/** Where an instance came from, so a finding can be traced back to the sender. */
export interface FindingSource {
  aeTitle?: string;
  station?: string;
  manufacturer?: string;
}

export interface Finding {
  /** Name of the rule (or mapping step) that raised it. */
  rule: string;
  /** `error` → the caller holds the study in quarantine. */
  severity: Severity;
  /** DICOM tag as 8 hex digits; a path `00400275[0]/00401002` inside sequences. */
  tag: string;
  original: unknown;
  corrected?: unknown;
  message: string;
  /** The (first) instance it was found in. */
  sopInstanceUid?: string;
  /** How many instances of the study had this same finding, when more than one. */
  occurrences?: number;
  source?: FindingSource;
}

/** Per-source configuration (from the config file; passed in, never read here). */
export interface SourceProfile {
  /** Extra Modality spellings → defined term, e.g. `{ "XRAY": "CR" }`. */
  modalitySynonyms?: Record<string, string>;
  /** Extra BodyPartExamined spellings → Annex L term, e.g. `{ "BRUST": "CHEST" }`. */
  bodyPartSynonyms?: Record<string, string>;
  /** Extra PatientSex spellings → M/F/O, e.g. `{ "W": "F" }`. */
  sexSynonyms?: Record<string, string>;
  /** Severity overrides keyed by rule name, or `rule@tag` for one attribute. */
  severity?: Record<string, Severity>;
  /** Leading zeros of PatientID are kept (default) or stripped for sources that pad MRNs. */
  patientIdLeadingZeros?: 'keep' | 'strip';
}

export interface NormalizeContext {
  profile: SourceProfile;
  source?: FindingSource;
}

export interface RuleResult {
  json: DicomJson;
  findings: Finding[];
}

export interface InstanceRule {
  name: string;
  apply(json: DicomJson, ctx: NormalizeContext): RuleResult;
}

export interface StudyRuleResult {
  instances: DicomJson[];
  findings: Finding[];
}

export interface StudyRule {
  name: string;
  apply(instances: DicomJson[], ctx: NormalizeContext): StudyRuleResult;
}
