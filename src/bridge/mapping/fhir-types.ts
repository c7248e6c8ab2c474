/**
 * The FHIR R4 types the mapping writes: @medplum/fhirtypes (type-only), under the names the
 * bridge has always used. A stored resource may carry elements a person added; the merge keeps
 * them (merge-imaging-study.ts) — they are typed R4 elements too.
 */
import type {
  Endpoint,
  Identifier,
  ImagingStudy,
  ImagingStudySeriesInstance,
  ImagingStudySeriesPerformer,
  Patient,
} from '@medplum/fhirtypes';

export type {
  CodeableConcept,
  Coding,
  Endpoint,
  Extension,
  HumanName,
  Identifier,
  ImagingStudy,
  ImagingStudySeries,
  Patient,
  Practitioner,
  Reference,
} from '@medplum/fhirtypes';
export type ImagingStudyInstance = ImagingStudySeriesInstance;
export type ImagingStudyPerformer = ImagingStudySeriesPerformer;
export type ImagingStudyStatus = ImagingStudy['status'];

/** The Patient mapPatient writes: it always has its identifier (the matching and conditional-create key). */
export type MappedPatient = Patient & { identifier: Identifier[] };
/** The Endpoint mapEndpoint writes: its identifier is its address (the conditional-create key). */
export type MappedEndpoint = Endpoint & { identifier: Identifier[] };
