import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA } from '../../archive/sqlite/schema.js';
import { guardStudyClaims } from './study-claims.js';
import { SqliteIndex } from '../../archive/sqlite/sqlite-index.js';
import { SqliteStudyLinks, StudyPatientLinks } from './study-links.js';
import { studyLinksSuite } from './study-links-suite.js';

studyLinksSuite('SQLite', async () => {
  const index = new SqliteIndex(':memory:');
  return { index, links: new SqliteStudyLinks(new StudyPatientLinks(index.db)), close: () => index.close() };
});

/** The archive's own rows (a real SQLite index schema): a patient (PatientID + issuer) and its study. */
function archived(db: Database.Database, studyUid: string, patientId: string, issuer = ''): number {
  const pk = (
    db
      .prepare(
        `INSERT INTO patients(patient_id, issuer) VALUES (?, ?) ON CONFLICT(patient_id, issuer) DO UPDATE SET issuer = excluded.issuer RETURNING pk`,
      )
      .get(patientId, issuer) as { pk: number }
  ).pk;
  db.prepare(`INSERT INTO studies(study_uid, patient_pk, patient_id, json, updated_at) VALUES (?, ?, ?, '{}', 0)`).run(
    studyUid,
    pk,
    patientId,
  );
  return pk;
}

describe('study ↔ Patient links', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = new Database(':memory:');
    db.exec(SCHEMA);
  });
  afterEach(() => db.close());

  it('lists the studies the bridge linked to a Patient, and the owner of each', () => {
    const links = new StudyPatientLinks(db);
    links.record('1.1', archived(db, '1.1', 'MRN1'), 'pat-a');
    links.record('1.2', archived(db, '1.2', 'MRN2'), 'pat-b');
    expect(links.studiesOf('pat-a')).toEqual(['1.1']);
    expect(links.ownerOf('1.2')).toBe('pat-b');
    expect(links.ownerOf('9.9')).toBeUndefined();
    links.forget('1.1');
    expect(links.studiesOf('pat-a')).toEqual([]);
  });

  it('holds only while the archive files the study under the patient row it was linked from', () => {
    const links = new StudyPatientLinks(db);
    const pk = archived(db, '1.1', 'MRN1', 'HOSP-A');
    links.record('1.1', pk, 'pat-a');
    // The study was deleted and came back under another PatientID (same UID): nobody's until linked again.
    db.prepare('DELETE FROM studies WHERE study_uid = ?').run('1.1');
    archived(db, '1.1', 'MRN1', 'HOSP-B');
    expect(links.studiesOf('pat-a')).toEqual([]);
    expect(links.ownerOf('1.1')).toBeUndefined();
    // A link whose study is gone from the archive gives nothing either.
    links.record('2.1', 12345, 'pat-a');
    expect(links.studiesOf('pat-a')).toEqual([]);
  });

  it('queues every archived study for a sync when the links are new (data from before them), once', () => {
    archived(db, '1.1', 'MRN1');
    archived(db, '1.2', 'MRN2');
    new StudyPatientLinks(db);
    expect(db.prepare(`SELECT study_uid, reason FROM sync_outbox ORDER BY study_uid`).all()).toEqual([
      { study_uid: '1.1', reason: 'patient-link' },
      { study_uid: '1.2', reason: 'patient-link' },
    ]);
    db.exec('DELETE FROM sync_outbox');
    new StudyPatientLinks(db);
    expect(db.prepare('SELECT count(*) AS n FROM sync_outbox').get()).toEqual({ n: 0 });
  });
});

describe('client ImagingStudy claims', () => {
  const links = { ownerOf: async (uid: string) => (uid === '1.1' ? 'pat-b' : undefined) };
  const guard = guardStudyClaims(links);
  const client = {
    principal: { kind: 'user' as const, scope: 'patient/*.cruds', roles: [], patient: 'pat-a' },
    record: { patientIds: [] as string[] },
  };
  const study = (subject: string, value: string) => ({
    resourceType: 'ImagingStudy',
    subject: { reference: subject },
    identifier: [{ system: 'urn:dicom:uid', value }],
  });

  it("refuses a client's ImagingStudy naming a linked study with another subject (with or without urn:oid:), 422 business-rule", async () => {
    for (const value of ['urn:oid:1.1', '1.1', ' urn:oid:1.1 ']) {
      await expect(guard(study('Patient/pat-a', value), client)).rejects.toThrowError(
        expect.objectContaining({ status: 422 }),
      );
    }
    expect(client.record.patientIds.sort()).toEqual(['pat-a', 'pat-b']);
    await expect(
      guard({ resourceType: 'ImagingStudy', identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.1' }] }, client),
    ).rejects.toThrow();
  });

  it('lets through the right subject (also absolute), unlinked studies, other types and the service itself', async () => {
    const right = study('https://x.test/fhir/Patient/pat-b', 'urn:oid:1.1');
    expect(await guard(right, client)).toBe(right);
    expect(await guard(study('Patient/pat-a', 'urn:oid:2.2'), client)).toBeDefined();
    expect(
      await guard({ resourceType: 'Observation', identifier: [{ system: 'urn:dicom:uid', value: '1.1' }] }, client),
    ).toBeDefined();
    expect(await guard(study('Patient/pat-a', 'urn:oid:1.1'), {})).toBeDefined();
  });
});
