/**
 * The FHIR R4 shapes the bridge writes. Only what the mapping produces is typed; anything a
 * person added to a stored resource travels through as unknown keys (see merge-imaging-study.ts).
 */
export interface Coding {
  system?: string;
  code?: string;
  display?: string;
  extension?: Extension[];
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

export interface Extension {
  url: string;
  valueCode?: string;
}

export interface Identifier {
  use?: 'usual' | 'official' | 'temp' | 'secondary' | 'old';
  type?: CodeableConcept;
  system?: string;
  value?: string;
}

export interface Reference {
  reference?: string;
  type?: string;
  identifier?: Identifier;
  display?: string;
  extension?: Extension[];
}

export interface HumanName {
  extension?: Extension[];
  use?: 'usual' | 'official' | 'temp' | 'nickname' | 'anonymous' | 'old' | 'maiden';
  text?: string;
  family?: string;
  given?: string[];
  prefix?: string[];
  suffix?: string[];
}

export interface ImagingStudyPerformer {
  function?: CodeableConcept;
  actor: Reference;
}

export interface ImagingStudyInstance {
  uid: string;
  sopClass: Coding;
  number?: number;
  title?: string;
  [other: string]: unknown;
}

export interface ImagingStudySeries {
  uid: string;
  number?: number;
  modality: Coding;
  description?: string;
  numberOfInstances?: number;
  bodySite?: Coding;
  laterality?: Coding;
  started?: string;
  performer?: ImagingStudyPerformer[];
  instance?: ImagingStudyInstance[];
  [other: string]: unknown;
}

export type ImagingStudyStatus = 'registered' | 'available' | 'cancelled' | 'entered-in-error' | 'unknown';

export interface ImagingStudy {
  resourceType: 'ImagingStudy';
  id?: string;
  identifier?: Identifier[];
  status: ImagingStudyStatus;
  modality?: Coding[];
  subject: Reference;
  started?: string;
  basedOn?: Reference[];
  referrer?: Reference;
  interpreter?: Reference[];
  endpoint?: Reference[];
  numberOfSeries?: number;
  numberOfInstances?: number;
  procedureCode?: CodeableConcept[];
  reasonCode?: CodeableConcept[];
  description?: string;
  series?: ImagingStudySeries[];
  [other: string]: unknown;
}

export interface Patient {
  resourceType: 'Patient';
  identifier: Identifier[];
  name?: HumanName[];
  gender?: 'male' | 'female' | 'other' | 'unknown';
  birthDate?: string;
}

export interface Endpoint {
  resourceType: 'Endpoint';
  identifier: Identifier[];
  status: 'active';
  connectionType: Coding;
  name: string;
  payloadType: CodeableConcept[];
  payloadMimeType: string[];
  address: string;
}
