/** What the worklist needs from outside its layer, wired in src/main.ts. */

/** What the archive knows of a study that FHIR does not carry. */
export interface DicomStudyFacts {
  /** Requested Procedure Priority (0040,1003), as stored (STAT, HIGH, ROUTINE, MEDIUM, LOW). */
  priority?: string;
  /** When the archive received the study's first instance (epoch ms). */
  received?: number;
}

export interface DicomStudyPort {
  /**
   * Undefined when the archive does not hold the study (e.g. an ImagingStudy written by a client).
   * A promise when the archive index is in PostgreSQL (ArchiveUpkeep.studyFacts, both backends, one suite).
   */
  facts(studyInstanceUid: string): DicomStudyFacts | undefined | Promise<DicomStudyFacts | undefined>;
  /** The facts of many studies in one read (the start-up load), keys only for the studies held; else `facts` one by one. */
  factsOf?(studyInstanceUids: string[]): Promise<Map<string, DicomStudyFacts>>;
}

export const NO_DICOM: DicomStudyPort = { facts: () => undefined };
