/** What the watcher needs of a remote PACS, whatever protocol it speaks. */
import type { DicomJson } from '../dicom/types.js';

/** One study as the remote query answered it. */
export interface RemoteStudy {
  studyUid: string;
  studyDate: string;
  /** NumberOfStudyRelatedInstances / …Series, when the PACS returns them. */
  instances?: number;
  series?: number;
  /** The study-level attributes of the answer. */
  json: DicomJson;
}

export interface RemoteInstance {
  seriesUid: string;
  sopUid: string;
  sopClassUid?: string;
}

/** A study, a series or one instance to bring over. */
export interface RetrieveUnit {
  studyUid: string;
  seriesUid?: string;
  sopUid?: string;
}

export interface RetrieveResult {
  stored: number;
  failed: number;
}

export interface RemotePacs {
  /** Studies with StudyDate on or after `fromDate` (YYYYMMDD); every study when undefined. */
  findStudies(fromDate: string | undefined): Promise<RemoteStudy[]>;
  instancesOf(study: RemoteStudy): Promise<RemoteInstance[]>;
  /** Copies the units into the archive (through archive.store). */
  retrieve(units: RetrieveUnit[], sopClasses: string[]): Promise<RetrieveResult>;
  /** Full metadata (DICOM JSON per instance) of these instances of the study, for metadata-only indexing. */
  metadataOf(study: RemoteStudy, instances: RemoteInstance[]): Promise<DicomJson[]>;
  /** The DICOMweb base URL a FHIR Endpoint should name for this PACS's studies; undefined if it has none. */
  readonly dicomwebUrl?: string;
}
