/**
 * What the archive noticed in received objects and stored anyway (the `ingest_notes` of the
 * study's visible instances, e.g. rule `file-meta`: a File Meta that disagreed with the data
 * set) as data-quality findings of the study. Informational by default: the data set itself
 * is sound, so the study goes to FHIR; a source profile may raise the severity like any rule's.
 */
import type { Database } from 'better-sqlite3';
import { preparedOnce } from '../../core/sqlite-statements.js';
import { applyProfile, type Finding, type SourceProfile } from '../normalize/index.js';

/** An ingest note as stored with its instance (both backends use these column names). */
export interface StoredIngestNote {
  sop_uid: string;
  rule: string;
  tag: string;
  original: string;
  corrected: string;
  message: string;
  source: string;
}

export function readIngestNotes(db: Database, studyUid: string): StoredIngestNote[] {
  return preparedOnce(
    db,
    `SELECT n.sop_uid, n.rule, n.tag, n.original, n.corrected, n.message, n.source
       FROM ingest_notes n JOIN instances i ON i.sop_uid = n.sop_uid
       WHERE n.study_uid = ? ORDER BY n.pk`,
  ).all(studyUid) as StoredIngestNote[];
}

/** The notes as findings, severities as the source profile says. */
export function ingestFindingsOf(rows: StoredIngestNote[], profile: SourceProfile): Finding[] {
  return rows.map((r) =>
    applyProfile(
      {
        rule: r.rule,
        severity: 'info',
        tag: r.tag,
        original: r.original,
        corrected: r.corrected,
        message: r.message,
        sopInstanceUid: r.sop_uid,
        ...(r.source ? { source: { aeTitle: r.source } } : {}),
      },
      profile,
    ),
  );
}

export function loadIngestFindings(db: Database, studyUid: string, profile: SourceProfile): Finding[] {
  return ingestFindingsOf(readIngestNotes(db, studyUid), profile);
}
