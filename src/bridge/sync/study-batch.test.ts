/**
 * StudySync.syncBatch against a small fake FHIR server: one transaction Bundle for the studies
 * of a batch, one Patient per patient, and how a refused Bundle is narrowed down to the study
 * that caused it.
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../archive/sqlite/schema.js';
import type { DicomJson } from '../../dicom/types.js';
import { FhirServerError, type FhirClient } from '../../fhir/client/index.js';
import type { Bundle, BundleEntry, FhirResource } from '../../fhir/types.js';
import { StudyPatientLinks } from '../patients/study-links.js';
import { QuarantineStore } from '../quarantine/quarantine-store.js';
import { CapabilityMonitor } from './capability-monitor.js';
import { parseBridgeConfig } from './config.js';
import { combinePatientWrites, StudySync } from './study-sync.js';
import { readIngestNotes } from './ingest-findings.js';
import type { StudyReader } from './study-instances.js';
import { WriteJournal } from './write-journal.js';

const STUDIES = new Map<string, DicomJson[]>();

let n = 0;
function addStudy(patientId: string, instances: number, o: { name?: string; description?: string } = {}): string {
  const study = `1.2.826.0.1.3680043.10.1456.79.${++n}`;
  const series = `${study}.1`;
  STUDIES.set(
    study,
    Array.from(
      { length: instances },
      (_, i) =>
        ({
          '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
          '00080018': { vr: 'UI', Value: [`${series}.${i + 1}`] },
          '00080020': { vr: 'DA', Value: ['20240101'] },
          '00080030': { vr: 'TM', Value: ['120000'] },
          '00080060': { vr: 'CS', Value: ['CT'] },
          ...(o.description ? { '00081030': { vr: 'LO', Value: [o.description] } } : {}),
          '00100010': { vr: 'PN', Value: [{ Alphabetic: o.name ?? 'Doe^Jane' }] },
          '00100020': { vr: 'LO', Value: [patientId] },
          '0020000D': { vr: 'UI', Value: [study] },
          '0020000E': { vr: 'UI', Value: [series] },
          '00200011': { vr: 'IS', Value: [1] },
          '00200013': { vr: 'IS', Value: [i + 1] },
        }) as DicomJson,
    ),
  );
  return study;
}

/** One more instance in `study` naming another patient (a study the sync holds for review). */
function addOtherPatientInstance(study: string, patientId: string): void {
  const first = STUDIES.get(study)![0]!;
  STUDIES.get(study)!.push({
    ...first,
    '00080018': { vr: 'UI', Value: [`${study}.1.9`] },
    '00100020': { vr: 'LO', Value: [patientId] },
  } as DicomJson);
}

const CAPABILITIES = {
  resourceType: 'CapabilityStatement',
  fhirVersion: '4.0.1',
  rest: [
    {
      mode: 'server',
      interaction: [{ code: 'transaction' }],
      resource: ['ImagingStudy', 'Patient', 'Endpoint'].map((type) => ({
        type,
        interaction: ['read', 'create', 'update', 'search-type'].map((code) => ({ code })),
      })),
    },
  ],
};

const tokenOf = (r: FhirResource): string[] =>
  ((r.identifier ?? []) as { system: string; value: string }[]).map((i) => `${i.system}|${i.value}`);

/** Just enough of a FHIR server: identifier searches, conditional creates, transactions (all or nothing). */
class FakeFhir {
  readonly store = new Map<string, FhirResource>();
  readonly bundles: Bundle[] = [];
  refuse: (entry: BundleEntry) => FhirServerError | undefined = () => undefined;
  private next = 0;

  client(): FhirClient {
    return {
      baseUrl: 'http://fake/fhir',
      capabilities: async () => CAPABILITIES as FhirResource,
      searchAll: async (type: string, params: Record<string, string>) =>
        [...this.store.values()].filter(
          (r) => r.resourceType === type && tokenOf(r).includes(String(params.identifier)),
        ),
      createIfNoneExist: async (resource: FhirResource) => ({ resource: this.put({ ...resource }), created: true }),
      update: async (resource: FhirResource) => this.put(resource),
      transaction: async (bundle: Bundle) => this.transaction(bundle),
    } as unknown as FhirClient;
  }

  private put(r: FhirResource): FhirResource {
    r.id ??= String(++this.next);
    r.meta = { versionId: String(Number(r.meta?.versionId ?? 0) + 1) };
    this.store.set(`${r.resourceType}/${r.id}`, r);
    return r;
  }

  private async transaction(bundle: Bundle): Promise<Bundle> {
    this.bundles.push(bundle);
    for (const e of bundle.entry ?? []) {
      const refused = this.refuse(e);
      if (refused) throw refused;
    }
    const urls = new Map<string, string>();
    const response: BundleEntry[] = [];
    for (const e of bundle.entry!) {
      const r = structuredClone(e.resource!);
      const subject = r.subject as { reference: string } | undefined;
      if (subject && urls.has(subject.reference)) subject.reference = urls.get(subject.reference)!;
      if (e.request!.method === 'PUT') r.id = e.request!.url.split('/')[1];
      const stored = this.put(r);
      if (e.fullUrl) urls.set(e.fullUrl, `${stored.resourceType}/${stored.id}`);
      response.push({
        response: {
          status: e.request!.method === 'POST' ? '201 Created' : '200 OK',
          location: `${stored.resourceType}/${stored.id}/_history/${stored.meta!.versionId}`,
        },
      });
    }
    return { resourceType: 'Bundle', type: 'transaction-response', entry: response };
  }

  all(type: string): FhirResource[] {
    return [...this.store.values()].filter((r) => r.resourceType === type);
  }
}

/**
 * `together`: the reader also reads a pass's studies at once (StudyReader.studies, as on
 * PostgreSQL), here from the same reads; `reads` counts which reads the sync made.
 */
function setUp(o: { together?: boolean } = {}) {
  const db = new Database(':memory:');
  db.exec(SCHEMA);
  const fhir = new FakeFhir();
  const client = fhir.client();
  const config = { ...parseBridgeConfig({ timezone: 'UTC' }, []), concurrency: 4 };
  const writes = new WriteJournal(db);
  const quarantine = new QuarantineStore(db);
  const links = new StudyPatientLinks(db);
  const silent = pino({ level: 'silent' });
  const reads = { perStudy: 0, together: 0 };
  // The instances come from STUDIES (no archive to store them in), their notes from the index.
  const instances = (studyUid: string) => (STUDIES.get(studyUid) ?? []).map((json) => ({ json, source: 'TEST' }));
  const reader: StudyReader = {
    instances: (studyUid) => {
      reads.perStudy++;
      return instances(studyUid);
    },
    ingestNotes: (studyUid) => {
      reads.perStudy++;
      return readIngestNotes(db, studyUid);
    },
  };
  if (o.together)
    reader.studies = async (uids) => {
      reads.together++;
      return new Map(
        uids.map((uid) => [
          uid,
          {
            instances: instances(uid),
            notes: readIngestNotes(db, uid),
            patientPk: links.patientRowOf(uid),
            quarantine: quarantine.get(uid),
          },
        ]),
      );
    };
  const sync = new StudySync({
    reader,
    links,
    client,
    quarantine,
    config,
    writes,
    capabilities: new CapabilityMonitor(client, 'fake', silent),
    dicomWebBase: 'http://ib.test/dicomweb',
    dataQualityLog: silent,
  });
  return { db, fhir, sync, writes, quarantine, reads };
}

/** The archive index rows of the studies (patient row from their PatientID), which the bridge's links name. */
function archiveRows(db: Database.Database, uids: string[]): void {
  for (const uid of uids) {
    const patientId = String((STUDIES.get(uid)![0]!['00100020'] as { Value: string[] }).Value[0]);
    const pk = (
      db
        .prepare(
          `INSERT INTO patients(patient_id, issuer) VALUES (?, '') ON CONFLICT(patient_id, issuer) DO UPDATE SET issuer = '' RETURNING pk`,
        )
        .get(patientId) as { pk: number }
    ).pk;
    db.prepare(
      `INSERT INTO studies(study_uid, patient_pk, patient_id, json, updated_at) VALUES (?, ?, ?, '{}', 0)`,
    ).run(uid, pk, patientId);
  }
}

const studyBundles = (fhir: FakeFhir) =>
  fhir.bundles.filter((b) => b.entry?.some((e) => e.resource?.resourceType === 'ImagingStudy'));

describe('StudySync.syncBatch', () => {
  it('writes the studies of a batch in one transaction Bundle, each with its counts, one Patient per patient', async () => {
    const { fhir, sync, writes } = setUp();
    const uids = [addStudy('B1', 1), addStudy('B1', 2), addStudy('B2', 3), addStudy('B3', 2)];
    const results = await sync.syncBatch(uids);
    writes.flush();
    expect(results.map((r) => r.outcome?.kind)).toEqual(['written', 'written', 'written', 'written']);
    expect(results.map((r) => (r.outcome as { instances: number }).instances)).toEqual([1, 2, 3, 2]);
    expect(studyBundles(fhir)).toHaveLength(1);
    expect(fhir.all('Patient')).toHaveLength(3);
    const subjects = fhir.all('ImagingStudy').map((s) => (s.subject as { reference: string }).reference);
    expect(subjects[0]).toBe(subjects[1]);
    expect(new Set(subjects).size).toBe(3);
    // Synced again: nothing changed, nothing written.
    const again = await sync.syncBatch(uids);
    expect(again.map((r) => r.outcome?.kind)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(studyBundles(fhir)).toHaveLength(1);
  });

  it('records the Patient each study was linked to, also one created by the same Bundle, and keeps it when nothing changed', async () => {
    const { db, fhir, sync, writes } = setUp();
    const uids = [addStudy('L1', 1), addStudy('L1', 1), addStudy('L2', 1)];
    archiveRows(db, uids);
    await sync.syncBatch(uids);
    writes.flush();
    const links = new StudyPatientLinks(db);
    const subjectOf = (uid: string) =>
      (
        fhir.all('ImagingStudy').find((s) => tokenOf(s).includes(`urn:dicom:uid|urn:oid:${uid}`))!.subject as {
          reference: string;
        }
      ).reference.split('/')[1];
    expect(uids.map((u) => links.ownerOf(u))).toEqual(uids.map(subjectOf));
    expect(links.ownerOf(uids[0]!)).toBe(links.ownerOf(uids[1]!));
    expect(links.ownerOf(uids[0]!)).not.toBe(links.ownerOf(uids[2]!));
    await sync.syncBatch(uids);
    writes.flush();
    expect(uids.map((u) => links.ownerOf(u))).toEqual(uids.map(subjectOf));
  });

  it('puts a second study of a new patient with other demographics in the next round, linked to the Patient the first created', async () => {
    const { fhir, sync } = setUp();
    const uids = [addStudy('C1', 1, { name: 'Doe^Jane' }), addStudy('C1', 1, { name: 'Roe^Jane' }), addStudy('C2', 1)];
    const results = await sync.syncBatch(uids);
    expect(results.every((r) => r.outcome?.kind === 'written')).toBe(true);
    expect(
      studyBundles(fhir).map((b) => b.entry!.filter((e) => e.resource?.resourceType === 'ImagingStudy').length),
    ).toEqual([2, 1]);
    const patients = fhir.all('Patient');
    expect(patients).toHaveLength(2);
    const c1 = fhir
      .all('ImagingStudy')
      .filter((s) => (s.subject as { reference: string }).reference === `Patient/${patients[0]!.id}`);
    expect(c1).toHaveLength(2);
  });

  it('narrows a refused Bundle down to the study that caused it: the others are written, that one fails on its own', async () => {
    const { fhir, sync } = setUp();
    const bad = addStudy('D1', 1, { description: 'REFUSED' });
    const uids = [addStudy('D2', 1), bad, addStudy('D3', 2)];
    fhir.refuse = (e) =>
      (e.resource as { description?: string } | undefined)?.description === 'REFUSED'
        ? new FhirServerError(
            422,
            { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'business-rule' }] },
            'transaction Bundle',
            1,
          )
        : undefined;
    const results = await sync.syncBatch(uids);
    expect(results.map((r) => r.outcome?.kind ?? 'error')).toEqual(['written', 'error', 'written']);
    expect((results[1]!.error as FhirServerError).status).toBe(422);
    expect(fhir.all('ImagingStudy')).toHaveLength(2);
    // The Bundle of three, then one Bundle per study.
    expect(
      studyBundles(fhir).map((b) => b.entry!.filter((e) => e.resource?.resourceType === 'ImagingStudy').length),
    ).toEqual([3, 1, 1, 1]);
  });

  it('when the server is unwell (503), every study of the Bundle retries later; nothing is written one by one', async () => {
    const { fhir, sync } = setUp();
    const uids = [addStudy('E1', 1), addStudy('E2', 1)];
    fhir.refuse = () =>
      new FhirServerError(
        503,
        { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient' }] },
        'transaction Bundle',
        1,
      );
    const results = await sync.syncBatch(uids);
    expect(results.map((r) => (r.error as FhirServerError).status)).toEqual([503, 503]);
    expect(studyBundles(fhir)).toHaveLength(1);
  });

  it('collects findings and holds for the caller to commit: nothing reaches the database before the flush', async () => {
    const { sync, writes, quarantine } = setUp();
    const study = addStudy('F1', 1);
    addOtherPatientInstance(study, 'F1-OTHER');
    const [result] = await sync.syncBatch([study]);
    expect(result!.outcome?.kind).toBe('quarantined');
    expect(quarantine.get(study)).toBeUndefined();
    expect(writes.pending).toBeGreaterThan(0);
    writes.flush();
    expect(quarantine.get(study)?.state).toBe('held');
    // Synced again while a person releases it: the pass's hold does not undo the release.
    await sync.syncBatch([study]);
    expect(quarantine.release(study, 'steward')).toBe(true);
    writes.flush();
    expect(quarantine.get(study)?.state).toBe('released');
  });
});

describe('StudySync.syncBatch with a reader that reads a pass together (PostgreSQL)', () => {
  it('reads the pass’s studies once, not each on its own, and syncs each as its own reads would (held, released, retired)', async () => {
    const { sync, writes, quarantine, reads } = setUp({ together: true });
    const ok = addStudy('T1', 2);
    const held = addStudy('T2', 1);
    addOtherPatientInstance(held, 'T2-OTHER');
    const gone = '1.2.826.0.1.3680043.10.1456.79.999999';
    const first = await sync.syncBatch([ok, held, gone]);
    writes.flush();
    expect(first.map((r) => r.outcome?.kind)).toEqual(['written', 'quarantined', 'retired']);
    expect(quarantine.get(held)?.state).toBe('held');
    expect(reads).toEqual({ perStudy: 0, together: 1 });
    // Released by a person: the next pass reads the decision with the rest and writes the study.
    expect(quarantine.release(held, 'steward')).toBe(true);
    const second = await sync.syncBatch([held, ok]);
    writes.flush();
    expect(second.map((r) => r.outcome?.kind)).toEqual(['written', 'unchanged']);
    expect(quarantine.get(held)?.state).toBe('released');
    expect(reads).toEqual({ perStudy: 0, together: 2 });
  });

  it('reads a pass of one study on its own (one read either way)', async () => {
    const { sync, reads } = setUp({ together: true });
    const [result] = await sync.syncBatch([addStudy('T3', 1)]);
    expect(result!.outcome?.kind).toBe('written');
    expect(reads).toEqual({ perStudy: 2, together: 0 });
  });
});

describe('combinePatientWrites', () => {
  const create = (token: string, name: string, fullUrl: string) => ({
    study: { token },
    write: {
      studyUid: fullUrl,
      imagingStudy: { resourceType: 'ImagingStudy', subject: { reference: fullUrl } } as never,
      createPatient: {
        resource: { resourceType: 'Patient', name: [{ family: name }] } as FhirResource,
        identifier: token,
        fullUrl,
      },
    },
  });
  const linked = (token: string, update = false) => ({
    study: { token },
    write: {
      studyUid: 'x',
      imagingStudy: {} as never,
      ...(update ? { updatePatient: { resourceType: 'Patient', id: '1' } as FhirResource } : {}),
    },
  });

  it('shares one create of the same Patient, defers a different one and a second update', () => {
    const a = create('s|1', 'Doe', 'urn:uuid:a');
    const b = create('s|1', 'Doe', 'urn:uuid:b');
    const c = create('s|1', 'Roe', 'urn:uuid:c');
    const d = linked('s|2', true);
    const e = linked('s|2', true);
    const f = linked('s|2');
    const { accepted, later } = combinePatientWrites([a, b, c, d, e, f]);
    expect(accepted).toEqual([a, b, d, f]);
    expect(later).toEqual([c, e]);
    expect(b.write.createPatient).toBeUndefined();
    expect(b.write.imagingStudy).toMatchObject({ subject: { reference: 'urn:uuid:a' } });
  });
});
