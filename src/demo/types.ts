import type { FhirResource } from '../fhir/types.js';
import type { Code } from './codes.js';

export type Cohort = 'stroke' | 'oncology' | 'general';

/** One synthetic person: nothing here belongs to a real patient. */
export interface DemoPatient {
  /** Scenario key, e.g. S05 (stroke 5), O03, G12. */
  key: string;
  /** MRN: Patient.identifier value under MRN_SYSTEM and the DICOM PatientID. */
  mrn: string;
  cohort: Cohort;
  family: string;
  given: string;
  sex: 'M' | 'F';
  /** YYYY-MM-DD */
  birthDate: string;
}

/** A resource to write with a conditional create on `key` (its identifier), under a stable urn:uuid. */
export interface DemoEntry {
  fullUrl: string;
  resource: FhirResource;
  key: { system: string; value: string };
}

export interface DemoSeries {
  number: number;
  description: string;
  instances: number;
  /** mm; also the spacing between slices. */
  sliceThickness: number;
}

export type OrderPriority = 'routine' | 'urgent' | 'asap' | 'stat';

/** An imaging study as ordered (ServiceRequest) and as acquired (DICOM): the two share accession and patient. */
export interface DemoStudy {
  uid: string;
  accession: string;
  patient: DemoPatient;
  /** Acquisition start, epoch ms (UTC). */
  start: number;
  modality: 'CT' | 'MR' | 'DX';
  bodyPart: string;
  description: string;
  priority: OrderPriority;
  orderCode: Code;
  series: DemoSeries[];
  referringPhysician: string;
}

export interface PatientRecord {
  patient: DemoPatient;
  /** The Patient first, then everything that refers to it. */
  entries: DemoEntry[];
  studies: DemoStudy[];
}

export interface DemoDataset {
  /** Organization, Locations and Practitioners that the patient records refer to by their urn:uuid. */
  facility: DemoEntry[];
  records: PatientRecord[];
}
