/**
 * Finding 2 (high): a patient-bound token read another patient's images. The studies such a
 * token may see came from ImagingStudy resources whose subject is that patient, which the
 * patient can write itself: an ImagingStudy with its own subject and another patient's
 * StudyInstanceUID opened QIDO and WADO-RS of that study. Now the link comes from the archive's
 * DICOM (the bridge's study → Patient links), and a client ImagingStudy claiming a study the
 * bridge linked to another Patient is refused (422 business-rule) — create, update, patch,
 * batch and transaction entries, whoever sends it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Json } from '../support/http.js';
import { waitFor } from '../support/wait.js';
import { ROOT, ctInstance } from '../../src/dicom/test-support.js';
import { multipartBody } from '../support/multipart.js';
import { startSmartBench, type SmartBench } from './harness.js';

const imagingStudy = (patientId: string, studyUid: string): Json => ({
  resourceType: 'ImagingStudy',
  status: 'available',
  subject: { reference: `Patient/${patientId}` },
  identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${studyUid}` }],
});

const studyUidsOf = (qido: Json): string[] => ((qido ?? []) as Json[]).map((s) => s['0020000D']?.Value?.[0]);

describe('patient ↔ study link (finding 2)', () => {
  let bench: SmartBench;
  let attacker: { patientId: string; studies: string[] };
  let victim: { patientId: string; studies: string[] };
  let attackerToken: string;
  let victimToken: string;
  const victimStudy = (): string => victim.studies[0]!;

  beforeAll(async () => {
    bench = await startSmartBench();
    [attacker, victim] = await bench.patientsWithImaging(2);
    attackerToken = await bench.token({ scope: 'patient/*.cruds', patient: attacker!.patientId });
    victimToken = await bench.token({ scope: 'patient/*.cruds', patient: victim!.patientId });
    // The bridge has linked the victim's study (its links are committed with its sync pass).
    await waitFor(
      async () => {
        const r = await bench.get('/dicomweb/studies', victimToken);
        return studyUidsOf(r.body).includes(victimStudy()) || undefined;
      },
      { timeoutMs: 30_000, what: "the victim's study linked" },
    );
  }, 180_000);
  afterAll(() => bench?.stop());

  const refusedClaim = (r: { status: number; body: Json }) => {
    expect(r.status).toBe(422);
    expect(r.body.resourceType).toBe('OperationOutcome');
    expect(r.body.issue[0].code).toBe('business-rule');
  };

  it("refuses the attack: a patient token creating an ImagingStudy with its own subject and another patient's StudyInstanceUID", async () => {
    const before = bench.auditHead();
    refusedClaim(
      await bench.request('POST', '/fhir/ImagingStudy', attackerToken, imagingStudy(attacker.patientId, victimStudy())),
    );
    // Nothing was stored.
    const found = await bench.get(
      `/fhir/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${victimStudy()}`)}`,
      bench.admin,
    );
    expect(found.body.entry.map((e: Json) => e.resource.subject.reference)).toEqual([`Patient/${victim.patientId}`]);
    // Recorded as a refused create, one record per patient concerned (BALP): the patient written
    // for and the one whose study was claimed.
    const records = bench.auditSince(before).filter((e) => e.subtype?.some((s: Json) => s.code === 'create'));
    expect(records.map((e) => e.outcome)).toEqual(['4', '4']);
    const named = records.map((e) => JSON.stringify(e.entity));
    expect(named.some((e) => e.includes(`Patient/${attacker.patientId}`))).toBe(true);
    expect(named.some((e) => e.includes(`Patient/${victim.patientId}`))).toBe(true);
  });

  it('refuses the same claim by update, patch, batch and transaction entries — and from an administrator', async () => {
    const own = await bench.request(
      'POST',
      '/fhir/ImagingStudy',
      attackerToken,
      imagingStudy(attacker.patientId, `${ROOT}.999.1`),
    );
    expect(own.status).toBe(201);
    const id = own.body.id as string;
    refusedClaim(
      await bench.request('PUT', `/fhir/ImagingStudy/${id}`, attackerToken, {
        ...imagingStudy(attacker.patientId, victimStudy()),
        id,
      }),
    );
    refusedClaim(
      await bench.request(
        'PATCH',
        `/fhir/ImagingStudy/${id}`,
        attackerToken,
        [{ op: 'replace', path: '/identifier/0/value', value: `urn:oid:${victimStudy()}` }],
        {
          'content-type': 'application/json-patch+json',
        },
      ),
    );
    const batch = await bench.request('POST', '/fhir', attackerToken, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: imagingStudy(attacker.patientId, victimStudy()), request: { method: 'POST', url: 'ImagingStudy' } },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.entry[0].response.status).toMatch(/^422/);
    const transaction = await bench.request('POST', '/fhir', attackerToken, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:0f6c1d2e-0000-4000-8000-000000000001',
          resource: imagingStudy(attacker.patientId, victimStudy()),
          request: { method: 'POST', url: 'ImagingStudy' },
        },
      ],
    });
    expect(transaction.status).toBe(422);
    // The DICOM says whose study it is: no FHIR write changes that, an administrator's neither.
    refusedClaim(
      await bench.request('POST', '/fhir/ImagingStudy', bench.admin, imagingStudy(attacker.patientId, victimStudy())),
    );
    // The claim stayed unchanged; a write naming the right Patient is not refused.
    expect((await bench.get(`/fhir/ImagingStudy/${id}`, attackerToken)).body.identifier[0].value).toBe(
      `urn:oid:${ROOT}.999.1`,
    );
    const found = await bench.get(
      `/fhir/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${victimStudy()}`)}`,
      bench.admin,
    );
    const stored = found.body.entry[0].resource as Json;
    const kept = await bench.request('PUT', `/fhir/ImagingStudy/${stored.id}`, bench.admin, {
      ...stored,
      description: 'reviewed',
    });
    expect(kept.status).toBe(200);
  });

  it("keeps another patient's study out of QIDO and WADO-RS for a patient token, even when an ImagingStudy names the patient", async () => {
    // A study whose DICOM names other patients (two PatientIDs: held in quarantine, linked to nobody),
    // and an ImagingStudy an administrator wrote naming the attacker as its subject.
    const foreign = `${ROOT}.777.1`;
    const files = [
      ctInstance({
        study: foreign,
        series: `${foreign}.1`,
        sop: `${foreign}.1.1`,
        patientId: 'OTHER-1',
        patientName: 'Other^One',
      }),
      ctInstance({
        study: foreign,
        series: `${foreign}.1`,
        sop: `${foreign}.1.2`,
        patientId: 'OTHER-2',
        patientName: 'Other^Two',
      }),
    ];
    const { body, contentType } = multipartBody(files);
    const stow = await bench.request('POST', '/dicomweb/studies', bench.admin, body, {
      'content-type': contentType,
      accept: 'application/dicom+json',
    });
    expect(stow.status).toBe(200);
    await waitFor(
      async () => ((await bench.get(`/api/quarantine/${foreign}`, bench.admin)).status === 200 ? true : undefined),
      { timeoutMs: 30_000, what: 'the study held' },
    );
    const shaped = await bench.request(
      'POST',
      '/fhir/ImagingStudy',
      bench.admin,
      imagingStudy(attacker.patientId, foreign),
    );
    expect(shaped.status).toBe(201);

    const before = bench.auditHead();
    for (const uid of [foreign, victimStudy()]) {
      expect(studyUidsOf((await bench.get('/dicomweb/studies', attackerToken)).body)).not.toContain(uid);
      const asked = await bench.get(`/dicomweb/studies?StudyInstanceUID=${uid}`, attackerToken);
      expect(asked.status).toBe(200);
      expect(asked.body).toEqual([]);
      expect((await bench.get(`/dicomweb/studies/${uid}/series`, attackerToken)).body).toEqual([]);
      for (const path of [`/dicomweb/studies/${uid}/metadata`, `/dicomweb/studies/${uid}`]) {
        const r = await bench.get(path, attackerToken, {
          accept: path.endsWith('metadata') ? 'application/dicom+json' : 'multipart/related; type="application/dicom"',
        });
        expect(r.status).toBe(403);
        expect(r.body.resourceType).toBe('OperationOutcome');
      }
    }
    // The attacker still sees its own studies; the victim its own.
    expect(studyUidsOf((await bench.get('/dicomweb/studies', attackerToken)).body)).toEqual(
      expect.arrayContaining(attacker.studies),
    );
    expect((await bench.get(`/dicomweb/studies/${victimStudy()}/metadata`, victimToken)).status).toBe(200);

    // Every refusal is on record, with the study and the token's patient.
    const records = bench.auditSince(before);
    const refused = records.filter((e) => e.outcome === '4');
    expect(refused).toHaveLength(4);
    for (const e of refused) {
      const entities = JSON.stringify(e.entity);
      expect(entities).toContain(`Patient/${attacker.patientId}`);
      expect(entities.includes(foreign) || entities.includes(victimStudy())).toBe(true);
    }
  });
});
