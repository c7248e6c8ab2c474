import type { StoredIngestNote } from '../sync/ingest-findings.js';
import { studyInstanceOf, type StudyInstance, type StudyReader } from '../sync/study-instances.js';
import type { PgBridgeDb } from './pg-bridge-db.js';

/** A study's visible instances and their ingest notes from the PostgreSQL archive index (StudyReader). */
export class PgStudyReader implements StudyReader {
  constructor(private readonly db: PgBridgeDb) {}

  async instances(studyUid: string): Promise<StudyInstance[]> {
    const t = this.db.t;
    const rows = await this.db.rows<{ metadata: string; source: string }>(
      `SELECT i.metadata, i.source FROM ${t}instances i JOIN ${t}series s ON s.pk = i.series_pk
         JOIN ${t}studies st ON st.pk = s.study_pk WHERE st.study_uid = $1 ORDER BY i.pk`,
      [studyUid],
    );
    return rows.map(studyInstanceOf);
  }

  ingestNotes(studyUid: string): Promise<StoredIngestNote[]> {
    const t = this.db.t;
    return this.db.rows<StoredIngestNote>(
      `SELECT n.sop_uid, n.rule, n.tag, n.original, n.corrected, n.message, n.source
         FROM ${t}ingest_notes n JOIN ${t}instances i ON i.sop_uid = n.sop_uid
         WHERE n.study_uid = $1 ORDER BY n.pk`,
      [studyUid],
    );
  }
}
