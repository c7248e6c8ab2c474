/**
 * DICOM SR TID 1500 measurement reports → FHIR, end to end with real parts: the SR files are
 * written by DCMTK (our DICOM JSON fixture → Part 10 → dsr2xml → xml2dsr), stored with their
 * CT studies over STOW-RS and over C-STORE (storescu), synced by the bridge, and checked with
 * FHIR searches on /fhir.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tid1500Report, type SrFixture } from '../src/ai-results/sr/test-support.js';
import { encodePart10, type DicomJson } from '../src/dicom/index.js';
import { getJson, stow, type Json } from './support/http.js';
import { waitFor } from './support/wait.js';
import { ctInstance } from '../src/dicom/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';

const installed = (tool: string) => {
  try {
    execFileSync(`/usr/bin/${tool}`, ['--version'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
};
const haveDcmtk = ['dsr2xml', 'xml2dsr', 'storescu'].every(installed);
if (!haveDcmtk) console.warn('sr-tid1500.e2e: DCMTK (dsr2xml, xml2dsr, storescu) not installed: skipped');

const CONFIG = {
  bridge: {
    debounceMs: 50,
    minIntervalMs: 100,
    maxDelayMs: 400,
    pollMs: 20,
    retryBaseDelayMs: 200,
    retryMaxDelayMs: 1000,
  },
};
const ROOT = '1.2.826.0.1.3680043.10.1456.91';
const PATIENT = 'P-SR-E2E';
const TRACKING_UID = `${ROOT}.7.1`;
const enc = encodeURIComponent;

/** A study: two CT images and its TID 1500 report (own series). */
function fixture(n: number, extra: Partial<SrFixture> = {}): SrFixture {
  const study = `${ROOT}.${n}`;
  return {
    study,
    ctSeries: `${study}.1`,
    ctInstances: [`${study}.1.1`, `${study}.1.2`],
    srSeries: `${study}.9`,
    srInstance: `${study}.9.1`,
    patientId: PATIENT,
    patientName: 'Nodule^Nora',
    trackingUid: TRACKING_UID,
    ...extra,
  };
}

const cts = (f: SrFixture, date: string) =>
  f.ctInstances.map((sop) =>
    ctInstance({
      study: f.study,
      series: f.ctSeries,
      sop,
      patientId: f.patientId!,
      patientName: f.patientName!,
      studyDate: date,
    }),
  );

describe.skipIf(!haveDcmtk)('DICOM SR TID 1500 → FHIR results (STOW-RS, C-STORE, DCMTK-written SR)', () => {
  let server: TestServer;
  let fhir: string;
  let dir: string;

  /** The SR as DCMTK writes it: our fixture → Part 10 → dsr2xml (with template id) → xml2dsr. */
  function dcmtkSr(json: DicomJson, name: string): string {
    const ours = join(dir, `${name}.ours.dcm`);
    const xml = join(dir, `${name}.xml`);
    const theirs = join(dir, `${name}.dcm`);
    writeFileSync(ours, encodePart10(json));
    execFileSync('/usr/bin/dsr2xml', ['+Wt', ours, xml], { stdio: ['ignore', 'ignore', 'ignore'] });
    execFileSync('/usr/bin/xml2dsr', [xml, theirs], { stdio: ['ignore', 'ignore', 'ignore'] });
    return theirs;
  }

  const search = async (query: string): Promise<Json[]> => {
    const { status, body } = await getJson(`${fhir}/${query}`);
    expect(status).toBe(200);
    return (body.entry ?? []).map((e: Json) => e.resource);
  };
  const read = async (ref: string): Promise<Json> => (await getJson(`${fhir}/${ref}`)).body;
  const reportOf = (sop: string, timeoutMs = 30_000) =>
    waitFor(async () => (await search(`DiagnosticReport?identifier=${enc(`urn:dicom:uid|urn:oid:${sop}`)}`))[0], {
      timeoutMs: timeoutMs,
      what: `the DiagnosticReport of SR ${sop}`,
    });
  const imagingStudy = (uid: string) =>
    waitFor(async () => (await search(`ImagingStudy?identifier=${enc(`urn:dicom:uid|urn:oid:${uid}`)}`))[0], {
      timeoutMs: 30_000,
      what: `the ImagingStudy ${uid}`,
    });
  /** The sync worker has nothing left to do. */
  const settled = () =>
    waitFor(
      async () => {
        const s = (await getJson(`${server.url}/api/sync/status`)).body;
        return s.outbox.pending + s.outbox.retrying === 0 && s.inFlight === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'the sync to settle' },
    );
  // Asynchronous: the server runs in this process and must answer while storescu runs.
  const storescu = (files: string[]) =>
    promisify(execFile)(
      '/usr/bin/storescu',
      ['-aec', 'IMGBRIDGE', '-aet', 'AI_NODE', '127.0.0.1', String(server.dicomPort), ...files],
      { timeout: 60_000 },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-sr-'));
    server = await startTestServer({}, { configFile: CONFIG });
    fhir = `${server.url}/fhir`;
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let firstReport: Json;
  let lesion: Json;

  it('an SR stored with its CT study over STOW-RS becomes Device, BodyStructures, Observations, DiagnosticReport and Provenance, linked', async () => {
    const f = fixture(1, { contentDate: '20240310' });
    const sr = readFileSync(dcmtkSr(tid1500Report(f), 'first'));
    expect(await stow(server.url, [...cts(f, '20240310'), sr])).toBe(200);

    const report = await reportOf(f.srInstance);
    const study = await imagingStudy(f.study);
    firstReport = report;
    expect(study.series.map((s: Json) => s.modality.code).sort()).toEqual(['CT', 'SR']);
    expect(report).toMatchObject({
      status: 'preliminary',
      subject: study.subject,
      imagingStudy: [{ reference: `ImagingStudy/${study.id}` }],
      conclusion: 'Two small pulmonary nodules; follow-up CT in 12 months.',
      meta: { tag: [{ system: 'urn:imaging-bridge:tag', code: 'ai-result' }] },
    });
    expect(report.effectiveDateTime).toMatch(/^2024-03-10T08:15:00/);
    expect(report.result).toHaveLength(6);

    const observations = await Promise.all(report.result.map((r: Json) => read(r.reference)));
    const longAxis = observations.find(
      (o) => o.code.coding?.[0]?.code === '103339001' && o.valueQuantity.value === 6.2,
    );
    expect(longAxis).toMatchObject({
      status: 'preliminary',
      subject: study.subject,
      partOf: [{ reference: `ImagingStudy/${study.id}` }],
      derivedFrom: [{ reference: `ImagingStudy/${study.id}` }],
      valueQuantity: { value: 6.2, unit: 'mm', system: 'http://unitsofmeasure.org', code: 'mm' },
      bodySite: { coding: [{ system: 'http://snomed.info/sct', code: '39607008' }] },
    });
    expect(longAxis.component).toContainEqual(expect.objectContaining({ valueString: f.ctSeries }));
    expect(longAxis.component).toContainEqual(expect.objectContaining({ valueString: f.ctInstances[0] }));

    // The lesion: one BodyStructure per tracking UID and patient, every Observation of the group points at it.
    const structures = await search(`BodyStructure?identifier=${enc(`urn:dicom:uid|urn:oid:${TRACKING_UID}`)}`);
    expect(structures).toHaveLength(1);
    lesion = structures[0];
    expect(lesion).toMatchObject({
      patient: study.subject,
      location: { coding: [{ code: '39607008' }] },
      locationQualifier: [{ coding: [{ system: 'http://snomed.info/sct', code: '24028007' }] }],
    });
    expect(lesion.identifier).toContainEqual(
      expect.objectContaining({ system: 'urn:imaging-bridge:tracking-id', value: 'Nodule 1' }),
    );
    const ofLesion = observations.filter((o) => o.focus?.[0]?.reference === `BodyStructure/${lesion.id}`);
    expect(ofLesion).toHaveLength(4);
    const other = observations.find((o) => o.identifier?.some((i: Json) => i.value === 'Nodule 2'));
    expect(other.focus[0].reference).not.toBe(`BodyStructure/${lesion.id}`);

    // The algorithm and where the results came from.
    const device = await read(longAxis.device.reference);
    expect(device).toMatchObject({
      identifier: [{ system: 'urn:imaging-bridge:ai-model', value: 'LungNodule@3.0' }],
      manufacturer: 'Example AI',
      version: [{ value: '3.0' }],
    });
    const provenance = await search(`Provenance?target=${enc(`DiagnosticReport/${report.id}`)}`);
    expect(provenance).toHaveLength(1);
    expect(provenance[0].agent[0].who.reference).toBe(longAxis.device.reference);
    expect(provenance[0].entity).toContainEqual(
      expect.objectContaining({
        what: expect.objectContaining({ identifier: { system: 'urn:dicom:uid', value: `urn:oid:${f.srInstance}` } }),
      }),
    );
  });

  it('a second SR for a later study, stored over C-STORE, reuses the same BodyStructure (same Tracking UID)', async () => {
    const f = fixture(2, { longAxis: '7.4', contentDate: '20250310' });
    const files = cts(f, '20250310').map((b, i) => {
      const path = join(dir, `later-ct-${i}.dcm`);
      writeFileSync(path, b);
      return path;
    });
    await storescu([...files, dcmtkSr(tid1500Report(f), 'later')]);

    const report = await reportOf(f.srInstance);
    const study = await imagingStudy(f.study);
    expect(report.subject).toEqual(firstReport.subject);
    expect(report.imagingStudy).toEqual([{ reference: `ImagingStudy/${study.id}` }]);
    const observations = await Promise.all(report.result.map((r: Json) => read(r.reference)));
    const longAxis = observations.find(
      (o) => o.code.coding?.[0]?.code === '103339001' && o.focus[0].reference === `BodyStructure/${lesion.id}`,
    );
    expect(longAxis.valueQuantity.value).toBe(7.4);
    expect(await search(`BodyStructure?identifier=${enc(`urn:dicom:uid|urn:oid:${TRACKING_UID}`)}`)).toHaveLength(1);
    // "Nodule 2" has no UID: found again by its Tracking Identifier within the same patient.
    expect(await search(`BodyStructure?identifier=${enc('urn:imaging-bridge:tracking-id|Nodule 2')}`)).toHaveLength(1);
    // All measurements of the lesion across time, from the BodyStructure.
    const series = await search(
      `Observation?focus=${enc(`BodyStructure/${lesion.id}`)}&code=${enc('http://snomed.info/sct|103339001')}`,
    );
    expect(series.map((o) => o.valueQuantity.value).sort()).toEqual([6.2, 7.4]);
  });

  it('a duplicate store and a re-sync of the study write no second DiagnosticReport', async () => {
    const f = fixture(1, { contentDate: '20240310' });
    const sr = readFileSync(join(dir, 'first.dcm'));
    expect(await stow(server.url, [sr])).toBe(200);
    // A new image changes the study: it is synced again (and so is its SR step).
    expect(
      await stow(server.url, [
        ctInstance({
          study: f.study,
          series: f.ctSeries,
          sop: `${f.study}.1.3`,
          patientId: PATIENT,
          patientName: 'Nodule^Nora',
          studyDate: '20240310',
        }),
      ]),
    ).toBe(200);
    await waitFor(async () => ((await imagingStudy(f.study)).numberOfInstances === 4 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the re-synced study',
    });
    await settled();
    expect(await search(`DiagnosticReport?identifier=${enc(`urn:dicom:uid|urn:oid:${f.srInstance}`)}`)).toHaveLength(1);
    expect(
      await search(
        `Observation?focus=${enc(`BodyStructure/${lesion.id}`)}&code=${enc('http://snomed.info/sct|103339001')}`,
      ),
    ).toHaveLength(2);
  });

  it('an SR stored before the study it measures waits (a visible finding, retried) and is written once the study arrives', async () => {
    const measured = fixture(3);
    const f = {
      ...measured,
      srStudy: `${ROOT}.4`,
      srSeries: `${ROOT}.4.9`,
      srInstance: `${ROOT}.4.9.1`,
      trackingUid: `${ROOT}.7.3`,
    };
    expect(await stow(server.url, [readFileSync(dcmtkSr(tid1500Report(f), 'early'))])).toBe(200);
    const waiting = await waitFor(
      async () => {
        const findings = (await getJson(`${server.url}/api/data-quality?study=${f.srStudy}`)).body.findings as Json[];
        return findings.find((x) => x.rule === 'sr-tid1500' && x.severity === 'warning' && /waits/.test(x.message));
      },
      { timeoutMs: 30_000, what: 'the waiting finding' },
    );
    expect(waiting).toMatchObject({ sopInstanceUid: f.srInstance });
    expect(await search(`DiagnosticReport?identifier=${enc(`urn:dicom:uid|urn:oid:${f.srInstance}`)}`)).toHaveLength(0);

    expect(await stow(server.url, cts(measured, '20250401'))).toBe(200);
    const report = await reportOf(f.srInstance);
    const study = await imagingStudy(measured.study);
    expect(report.imagingStudy).toEqual([{ reference: `ImagingStudy/${study.id}` }]);
  });

  it('a broken SR leaves a visible data-quality record, and its study still syncs', async () => {
    const f = fixture(5, { trackingUid: `${ROOT}.7.5` });
    const broken = tid1500Report(f);
    // Declares TID 1500 but has no measurements at all.
    broken['0040A730'] = { vr: 'SQ', Value: (broken['0040A730']!.Value as DicomJson[]).slice(0, 3) };
    expect(await stow(server.url, [...cts(f, '20250402'), readFileSync(dcmtkSr(broken, 'broken'))])).toBe(200);

    const study = await imagingStudy(f.study);
    expect(study.status).toBe('available');
    expect(study.numberOfInstances).toBe(3);
    const finding = await waitFor(
      async () => {
        const findings = (await getJson(`${server.url}/api/data-quality?study=${f.study}&severity=warning`)).body
          .findings as Json[];
        return findings.find((x) => x.rule === 'sr-tid1500');
      },
      { timeoutMs: 30_000, what: 'the data-quality finding' },
    );
    expect(finding).toMatchObject({
      sopInstanceUid: f.srInstance,
      message: expect.stringContaining('no Measurement Group'),
    });
    await settled();
    expect(await search(`DiagnosticReport?identifier=${enc(`urn:dicom:uid|urn:oid:${f.srInstance}`)}`)).toHaveLength(0);
    expect(
      (await getJson(`${server.url}/api/quarantine?state=held`)).body.studies.map((s: Json) => s.studyUid),
    ).not.toContain(f.study);
  });
});
