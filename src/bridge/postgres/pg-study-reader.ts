import { entryOf, type QuarantineRow } from '../quarantine/quarantine-store.js';
import type { StoredIngestNote } from '../sync/ingest-findings.js';
import { studyInstanceOf, type StudyInstance, type StudyRead, type StudyReader } from '../sync/study-instances.js';
import type { PgBridgeDb } from './pg-bridge-db.js';

/** Rows of several studies, each tagged with its study (`study`), into lists per study in row order. */
function byStudy<R extends { study: string }, T>(rows: R[], of: (r: R) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(r.study);
    if (list) list.push(of(r));
    else out.set(r.study, [of(r)]);
  }
  return out;
}

/** A study's visible instances and their ingest notes from the PostgreSQL archive index (StudyReader). */
export class PgStudyReader implements StudyReader {
  constructor(private readonly db: PgBridgeDb) {}

  /**
   * A pass's studies: four statements (`= ANY($1)`), run side by side on the pool, whatever the
   * number of studies — the same rows, in the same order, as instances(), ingestNotes(),
   * PgStudyLinks.patientRowOf and PgQuarantineStore.get give each study.
   */
  async studies(studyUids: string[]): Promise<Map<string, StudyRead>> {
    const t = this.db.t;
    const uids = [...new Set(studyUids)];
    const [instances, notes, patients, quarantine] = await Promise.all([
      this.db.rows<{ study: string; metadata: string; source: string }>(
        `SELECT st.study_uid AS study, i.metadata, i.source FROM ${t}instances i JOIN ${t}series s ON s.pk = i.series_pk
           JOIN ${t}studies st ON st.pk = s.study_pk WHERE st.study_uid = ANY($1::text[]) ORDER BY i.pk`,
        [uids],
      ),
      this.db.rows<StoredIngestNote & { study: string }>(
        `SELECT n.study_uid AS study, n.sop_uid, n.rule, n.tag, n.original, n.corrected, n.message, n.source
           FROM ${t}ingest_notes n JOIN ${t}instances i ON i.sop_uid = n.sop_uid
           WHERE n.study_uid = ANY($1::text[]) ORDER BY n.pk`,
        [uids],
      ),
      this.db.rows<{ study: string; pk: number }>(
        `SELECT study_uid AS study, patient_pk AS pk FROM ${t}studies WHERE study_uid = ANY($1::text[])`,
        [uids],
      ),
      this.db.rows<QuarantineRow>(`SELECT * FROM ${t}quarantine WHERE study_uid = ANY($1::text[])`, [uids]),
    ]);
    const instancesOf = byStudy(instances, studyInstanceOf);
    const notesOf = byStudy(notes, ({ study: _, ...note }) => note);
    const patientOf = new Map(patients.map((r) => [r.study, r.pk]));
    const quarantineOf = new Map(quarantine.map((r) => [r.study_uid, entryOf(r)]));
    return new Map(
      uids.map((uid) => [
        uid,
        {
          instances: instancesOf.get(uid) ?? [],
          notes: notesOf.get(uid) ?? [],
          patientPk: patientOf.get(uid),
          quarantine: quarantineOf.get(uid),
        },
      ]),
    );
  }

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
