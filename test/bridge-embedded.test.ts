import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { getJson, imagingStudies, stow, type Json } from './support/http.js';
import { rejectionNote, ctInstance, ROOT } from '../src/dicom/test-support.js';
import { waitFor } from './support/wait.js';
import { startTestServer, type TestServer } from './support/server.js';

const FAST = { bridge: { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 } };
let n = 0;
const TAGS: Record<string, number> = { s: 1, se: 2, i: 3, ko: 4, none: 5 };
const uid = (tag: string) => `${ROOT}.77.${process.pid}.${TAGS[tag]}.${++n}`;

describe('DICOM → FHIR sync into the embedded FHIR server', () => {
  let server: TestServer;
  let fhir: string;
  beforeAll(async () => {
    server = await startTestServer({}, { configFile: FAST });
    fhir = `${server.url}/fhir`;
  });
  afterAll(async () => server?.stop());

  /** The study's one ImagingStudy once `ready` holds for it. */
  const studyWhen = (studyUid: string, ready: (s: Json) => boolean, what: string) =>
    waitFor(
      async () => {
        const found = await imagingStudies(fhir, studyUid);
        expect(found.length).toBeLessThanOrEqual(1);
        return found[0] && ready(found[0]) ? found[0] : undefined;
      },
      { timeoutMs: 15_000, what: what },
    );

  it('turns a stored study into one ImagingStudy with correct counts, linked to a Patient it creates', async () => {
    const study = uid('s');
    const [a, b] = [uid('se'), uid('se')];
    const files = [
      ctInstance({ study, series: a, sop: uid('i'), patientId: 'MRN-1' }),
      ctInstance({ study, series: a, sop: uid('i'), patientId: 'MRN-1' }),
      ctInstance({ study, series: b, sop: uid('i'), patientId: 'MRN-1' }),
    ];
    expect(await stow(server.url, files)).toBe(200);
    const is = await studyWhen(study, (s) => s.numberOfInstances === 3, 'the ImagingStudy');
    expect(is).toMatchObject({
      status: 'available',
      numberOfSeries: 2,
      numberOfInstances: 3,
      modality: [{ code: 'CT' }],
    });
    expect(is.endpoint[0].reference).toMatch(/^Endpoint\//);
    const patient = (await getJson(`${fhir}/${is.subject.reference}`)).body;
    expect(patient.identifier[0]).toMatchObject({ system: 'urn:imaging-bridge:patient-id', value: 'MRN-1' });
    expect(patient.meta.tag).toContainEqual(expect.objectContaining({ code: 'created-by-bridge' }));
    expect(patient.name[0]).toMatchObject({ family: 'Doe', given: ['Jane'] });
  });

  it('updates the same ImagingStudy when more instances of the study arrive, keeping a note a person added', async () => {
    const study = uid('s');
    const series = uid('se');
    expect(
      await stow(
        server.url,
        [1, 2].map(() => ctInstance({ study, series, sop: uid('i'), patientId: 'MRN-2' })),
      ),
    ).toBe(200);
    const first = await studyWhen(study, (s) => s.numberOfInstances === 2, 'the first version');
    const noted = { ...first, note: [{ text: 'Reviewed by Dr. Who' }] };
    const put = await fetch(`${fhir}/ImagingStudy/${first.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json', 'if-match': `W/"${first.meta.versionId}"` },
      body: JSON.stringify(noted),
    });
    expect(put.status).toBe(200);
    expect(
      await stow(
        server.url,
        [3, 4, 5].map(() => ctInstance({ study, series, sop: uid('i'), patientId: 'MRN-2' })),
      ),
    ).toBe(200);
    const after = await studyWhen(study, (s) => s.numberOfInstances === 5, 'the updated ImagingStudy');
    expect(after.id).toBe(first.id);
    expect(after.note).toEqual([{ text: 'Reviewed by Dr. Who' }]);
    expect(after.series[0].instance).toHaveLength(5);
    // The same Patient: found by its identifier, not created twice.
    expect(after.subject.reference).toBe(first.subject.reference);
    const patients = (
      await getJson(`${fhir}/Patient?identifier=${encodeURIComponent('urn:imaging-bridge:patient-id|MRN-2')}`)
    ).body;
    expect(patients.entry).toHaveLength(1);
  });

  it('holds a study whose instances disagree on the patient in quarantine, lists why, and syncs it once released', async () => {
    const study = uid('s');
    const series = uid('se');
    const files = [
      ctInstance({ study, series, sop: uid('i'), patientId: 'MRN-3' }),
      ctInstance({ study, series, sop: uid('i'), patientId: 'MRN-3X' }),
    ];
    expect(await stow(server.url, files)).toBe(200);
    const held = await waitFor(
      async () => {
        const list = (await getJson(`${server.url}/api/quarantine`)).body.studies as Json[];
        return list.find((q) => q.studyUid === study);
      },
      { timeoutMs: 15_000, what: 'the quarantine entry' },
    );
    expect(held.state).toBe('held');
    expect(held.reasons.map((r: Json) => [r.rule, r.severity, r.tag])).toContainEqual([
      'conflicting-patient',
      'error',
      '00100020',
    ]);
    const dq = (await getJson(`${server.url}/api/data-quality?study=${study}&severity=error`)).body;
    expect(dq.findings.length).toBeGreaterThan(0);
    expect(dq.findings[0]).toMatchObject({ studyUid: study, severity: 'error', source: { aeTitle: 'STOW-RS' } });
    expect(await imagingStudies(fhir, study)).toEqual([]);

    const released = await fetch(`${server.url}/api/quarantine/${study}/release?comment=checked`, { method: 'POST' });
    expect(released.status).toBe(200);
    const is = await studyWhen(study, (s) => s.numberOfInstances === 2, 'the released study');
    expect(is.status).toBe('available');
    const shown = (await getJson(`${server.url}/api/quarantine/${study}`)).body;
    expect(shown.entry).toMatchObject({ state: 'released', comment: 'checked' });
    expect((await getJson(`${server.url}/api/quarantine/${uid('none')}`)).status).toBe(404);
  });

  it('hides instances named by an IOCM rejection note from QIDO and WADO and updates the ImagingStudy; all rejected → entered-in-error', async () => {
    const study = uid('s');
    const series = uid('se');
    const sops = [uid('i'), uid('i'), uid('i')];
    expect(
      await stow(
        server.url,
        sops.map((sop) => ctInstance({ study, series, sop })),
      ),
    ).toBe(200);
    await studyWhen(study, (s) => s.numberOfInstances === 3, 'the study before rejection');

    const note = rejectionNote({ study, series: uid('ko'), sop: uid('ko'), rejected: [{ series, sop: sops[0]! }] });
    expect(await stow(server.url, [note])).toBe(200);
    const is = await studyWhen(study, (s) => s.numberOfInstances === 2, 'the study after rejection');
    expect(is.series.flatMap((s: Json) => s.instance.map((i: Json) => i.uid))).not.toContain(sops[0]);
    const qido = (await getJson(`${server.url}/dicomweb/studies/${study}/instances`)).body as Json[];
    expect(qido.map((d) => d['00080018'].Value[0]).sort()).toEqual([sops[1], sops[2]].sort());
    expect(
      (await fetch(`${server.url}/dicomweb/studies/${study}/series/${series}/instances/${sops[0]}/metadata`)).status,
    ).toBe(404);

    const retention = rejectionNote({
      study,
      series: uid('ko'),
      sop: uid('ko'),
      code: '113039',
      meaning: 'Data Retention Policy Expired',
      rejected: [
        { series, sop: sops[1]! },
        { series, sop: sops[2]! },
      ],
    });
    expect(await stow(server.url, [retention])).toBe(200);
    const gone = await studyWhen(study, (s) => s.status === 'entered-in-error', 'entered-in-error');
    expect(gone.numberOfInstances).toBe(0);
    expect((await getJson(`${server.url}/dicomweb/studies?StudyInstanceUID=${study}`)).body).toEqual([]);
  });

  it('marks the ImagingStudy entered-in-error after an administrative deletion of the whole study', async () => {
    const study = uid('s');
    const series = uid('se');
    expect(
      await stow(server.url, [
        ctInstance({ study, series, sop: uid('i') }),
        ctInstance({ study, series, sop: uid('i') }),
      ]),
    ).toBe(200);
    await studyWhen(study, (s) => s.numberOfInstances === 2, 'the study');
    expect((await fetch(`${server.url}/dicomweb/studies/${study}`, { method: 'DELETE' })).status).toBe(200);
    const retired = await studyWhen(study, (s) => s.status === 'entered-in-error', 'entered-in-error');
    expect(retired.numberOfInstances).toBe(0);
  });

  it('reports the target and its capabilities in GET /api/sync/status', async () => {
    const status = (await getJson(`${server.url}/api/sync/status`)).body;
    expect(status).toMatchObject({
      enabled: true,
      capabilities: { target: 'embedded', reachable: true, usable: true, transaction: true, fhirVersion: '4.0.1' },
    });
    expect(status.outbox.dead).toBe(0);
  });
});
