/** The stored DICOM JSON of a study's visible instances (rejected ones are not in `instances`), read from the archive index. */
import type { Database } from 'better-sqlite3';
import { preparedOnce } from '../../core/sqlite-statements.js';
import { renderMetadata } from '../../archive/metadata-text.js';
import type { DicomJson } from '../../dicom/types.js';
import type { QuarantineEntry } from '../quarantine/quarantine-store.js';
import type { Awaitable } from './awaitable.js';
import { readIngestNotes, type StoredIngestNote } from './ingest-findings.js';

export interface StudyInstance {
  json: DicomJson;
  /** AE title or channel it came through (`STOW-RS`, `import`). */
  source: string;
}

/** Everything the sync reads of one study from the archive index at the start of its pass. */
export interface StudyRead {
  instances: StudyInstance[];
  notes: StoredIngestNote[];
  /** The archive's patient row of the study (undefined: not archived), as StudyLinkRows.patientRowOf. */
  patientPk: number | undefined;
  /** The study's quarantine entry (a hold, a person's decision), as QuarantineRecords.get. */
  quarantine: QuarantineEntry | undefined;
}

/**
 * What the sync reads of a study from the archive index: its visible instances and the ingest
 * notes of those. Implemented over the SQLite index's handle (sqliteStudyReader) and over the
 * PostgreSQL `archive` schema (PgStudyReader). Shared suite: study-reader-suite.ts.
 */
export interface StudyReader {
  /** The visible instances in the order they were first indexed. */
  instances(studyUid: string): Awaitable<StudyInstance[]>;
  /** The notes of the visible instances (a replaced or rejected instance's notes are gone), oldest first. */
  ingestNotes(studyUid: string): Awaitable<StoredIngestNote[]>;
  /**
   * The studies of a sync pass read together, each as its own reads would give it (PgStudyReader:
   * one statement per kind for all of them, not one per study and kind — each a round trip).
   * Without it (SQLite, whose reads cost no round trip) the sync reads each study on its own.
   */
  studies?(studyUids: string[]): Promise<Map<string, StudyRead>>;
}

/** An instance row's stored metadata, bulk data URIs left relative (the mapping never reads bulk data). */
export function studyInstanceOf(r: { metadata: string; source: string }): StudyInstance {
  return { json: JSON.parse(renderMetadata(r.metadata, '')) as DicomJson, source: r.source };
}

export function loadStudyInstances(db: Database, studyUid: string): StudyInstance[] {
  const rows = preparedOnce(
    db,
    `SELECT i.metadata, i.source FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk
       WHERE st.study_uid = ? ORDER BY i.pk`,
  ).all(studyUid) as { metadata: string; source: string }[];
  return rows.map(studyInstanceOf);
}

export function sqliteStudyReader(db: Database): StudyReader {
  return {
    instances: (studyUid) => loadStudyInstances(db, studyUid),
    ingestNotes: (studyUid) => readIngestNotes(db, studyUid),
  };
}
