/**
 * Which FHIR Patient each archived study belongs to, as the bridge decided it: when a sync
 * links a study to a Patient (matched on the issuer-qualified PatientID of its DICOM header,
 * patient-matcher.ts), it records the study, the archive's patient row (PatientID + issuer of
 * the stored instances) it linked from, and the Patient's id. No client writes this table:
 * it lives in the archive index, beside the instances, and only the bridge's sync changes it.
 *
 * A link counts only while the archive still files the study under the same patient row (the
 * join below): a study whose DICOM patient changed is nobody's until the bridge has linked it
 * again. Patient-bound access to images (DICOMweb) and the guard on client ImagingStudy
 * writes read this, never the ImagingStudy resources (which clients can write).
 */
import type { Database, Statement } from 'better-sqlite3';
import { OUTBOX_UPSERT } from '../../archive/sqlite/schema.js';
import { settled } from '../../archive/sqlite/sqlite-index.js';
import { migrateSqlite, type SqliteMigration } from '../../core/sqlite/migrations.js';

const STUDY_LINKS_SCHEMA = `
CREATE TABLE IF NOT EXISTS study_patient_links (
  study_uid TEXT PRIMARY KEY,
  patient_pk INTEGER NOT NULL,   -- patients.pk (PatientID + issuer) the bridge linked from
  fhir_patient TEXT NOT NULL,    -- the FHIR Patient id it linked to
  linked_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS study_patient_links_patient ON study_patient_links(fhir_patient);
`;

// Version 1 adopts the table of the builds before versioned migrations (then nothing is queued).
const MIGRATIONS: SqliteMigration[] = [
  {
    version: 1,
    description: 'study → Patient links; the studies already archived queued to get theirs',
    up: (db) => {
      const existed =
        db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'study_patient_links'`).get() !==
        undefined;
      db.exec(STUDY_LINKS_SCHEMA);
      // Data from before the links existed: every study is synced again (an unchanged ImagingStudy
      // is not rewritten) and so gets its link; until then it is no patient's.
      if (existed) return;
      const enqueue = db.prepare(OUTBOX_UPSERT);
      const now = Date.now();
      for (const r of db.prepare('SELECT study_uid FROM studies').all() as { study_uid: string }[])
        enqueue.run({ studyUid: r.study_uid, now, reason: 'patient-link' });
    },
  },
];

/**
 * The links as every backend keeps them (SqliteStudyLinks over the class below, PgStudyLinks in
 * study-links-pg.ts; shared suite study-links-suite.ts). Asynchronous because PostgreSQL is.
 */
export interface StudyLinkStore {
  /** The archive's patient row of a study now (undefined: not archived). */
  patientRowOf(studyUid: string): Promise<number | undefined>;
  /** Links the study (filed under archive patient row `patientPk`) to a FHIR Patient; replaces its link. */
  record(studyUid: string, patientPk: number, fhirPatient: string, now?: number): Promise<void>;
  forget(studyUid: string): Promise<void>;
  /** Study Instance UIDs linked to this FHIR Patient and still filed under the patient row they were linked from. */
  studiesOf(fhirPatient: string): Promise<string[]>;
  /** The FHIR Patient id the study is linked to, if the link still holds. */
  ownerOf(studyUid: string): Promise<string | undefined>;
}

const CURRENT = `FROM study_patient_links l JOIN studies s ON s.study_uid = l.study_uid AND s.patient_pk = l.patient_pk`;

export class StudyPatientLinks {
  private readonly stmts: {
    record: Statement;
    forget: Statement;
    studiesOf: Statement;
    ownerOf: Statement;
    patientPk: Statement;
  };

  constructor(db: Database) {
    migrateSqlite(db, 'study_links', MIGRATIONS);
    this.stmts = {
      record: db.prepare(
        `INSERT INTO study_patient_links(study_uid, patient_pk, fhir_patient, linked_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(study_uid) DO UPDATE SET patient_pk = excluded.patient_pk, fhir_patient = excluded.fhir_patient, linked_at = excluded.linked_at`,
      ),
      forget: db.prepare('DELETE FROM study_patient_links WHERE study_uid = ?'),
      studiesOf: db.prepare(`SELECT l.study_uid AS uid ${CURRENT} WHERE l.fhir_patient = ?`),
      ownerOf: db.prepare(`SELECT l.fhir_patient AS patient ${CURRENT} WHERE l.study_uid = ?`),
      patientPk: db.prepare('SELECT patient_pk AS pk FROM studies WHERE study_uid = ?'),
    };
  }

  /** The archive's patient row of a study now (undefined: not archived). */
  patientRowOf(studyUid: string): number | undefined {
    return (this.stmts.patientPk.get(studyUid) as { pk: number } | undefined)?.pk;
  }

  record(studyUid: string, patientPk: number, fhirPatient: string, now = Date.now()): void {
    this.stmts.record.run(studyUid, patientPk, fhirPatient, now);
  }

  forget(studyUid: string): void {
    this.stmts.forget.run(studyUid);
  }

  /** Study Instance UIDs the bridge linked to this FHIR Patient (and still filed under the same DICOM patient). */
  studiesOf(fhirPatient: string): string[] {
    return (this.stmts.studiesOf.all(fhirPatient) as { uid: string }[]).map((r) => r.uid);
  }

  /** The FHIR Patient id the bridge linked this study to, if it still holds. */
  ownerOf(studyUid: string): string | undefined {
    return (this.stmts.ownerOf.get(studyUid) as { patient: string } | undefined)?.patient;
  }
}

/** The SQLite links as a StudyLinkStore (the bridge's sync still calls the class synchronously, in its transaction). */
export class SqliteStudyLinks implements StudyLinkStore {
  constructor(private readonly links: StudyPatientLinks) {}

  patientRowOf(studyUid: string): Promise<number | undefined> {
    return settled(() => this.links.patientRowOf(studyUid));
  }

  record(studyUid: string, patientPk: number, fhirPatient: string, now = Date.now()): Promise<void> {
    return settled(() => this.links.record(studyUid, patientPk, fhirPatient, now));
  }

  forget(studyUid: string): Promise<void> {
    return settled(() => this.links.forget(studyUid));
  }

  studiesOf(fhirPatient: string): Promise<string[]> {
    return settled(() => this.links.studiesOf(fhirPatient));
  }

  ownerOf(studyUid: string): Promise<string | undefined> {
    return settled(() => this.links.ownerOf(studyUid));
  }
}
