/**
 * The same serial measurements reaching us three ways give the same tumor-board summary: DICOM SR
 * TID 1500 (written by DCMTK) stored with the CT studies over STOW-RS, the same over C-STORE
 * (storescu), and POST /api/ai-results on CT studies stored without an SR.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tid1500Report, type SrFixture } from '../src/ai-results/sr/test-support.js';
import { encodePart10, type DicomJson } from '../src/dicom/index.js';
import { ctInstance } from '../src/dicom/test-support.js';
import { getJson, stow, type Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const installed = (tool: string) => {
  try {
    execFileSync(`/usr/bin/${tool}`, ['--version'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
};
const haveDcmtk = ['dsr2xml', 'xml2dsr', 'storescu'].every(installed);
if (!haveDcmtk) console.warn('oncology-paths.e2e: DCMTK (dsr2xml, xml2dsr, storescu) not installed: skipped');

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
const ROOT = '1.2.826.0.1.3680043.10.1456.92';
const DATES = ['20240310', '20240601'];
// Nodule 1 (tracked by UID, a target) shrinks 20 → 13 mm (-35 %: PR); Nodule 2 (4.1 mm) is a non-target.
const LONG_AXIS = ['20', '13'];
const enc = encodeURIComponent;

const fixture = (p: number, n: number): SrFixture => {
  const study = `${ROOT}.${p}.${n}`;
  return {
    study,
    ctSeries: `${study}.1`,
    ctInstances: [`${study}.1.1`, `${study}.1.2`],
    srSeries: `${study}.9`,
    srInstance: `${study}.9.1`,
    patientId: `P-ONC-${p}`,
    patientName: `Path^Patient${p}`,
    trackingUid: `${ROOT}.${p}.77`,
    longAxis: LONG_AXIS[n - 1],
    contentDate: DATES[n - 1],
  };
};
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

/** What must be the same whichever way the measurements came. */
const essence = (s: Json) =>
  s.timepoints.map((tp: Json) => ({
    date: tp.date,
    sum: tp.sumMm,
    responses: [tp.targetResponse, tp.nonTargetResponse, tp.overallResponse, tp.newLesions],
    lesions: tp.lesions
      .map((l: Json) => `${l.trackingId}:${l.trackingUid ? 'uid' : '-'}:${l.role}:${l.valueMm}:${l.status}`)
      .sort(),
  }));

describe.skipIf(!haveDcmtk)(
  'one summary whichever way the measurements came (STOW-RS SR, C-STORE SR, POST /api/ai-results)',
  () => {
    let server: TestServer;
    let fhir: string;
    let dir: string;

    function dcmtkSr(json: DicomJson, name: string): string {
      const ours = join(dir, `${name}.ours.dcm`);
      const xml = join(dir, `${name}.xml`);
      const theirs = join(dir, `${name}.dcm`);
      writeFileSync(ours, encodePart10(json));
      execFileSync('/usr/bin/dsr2xml', ['+Wt', ours, xml], { stdio: ['ignore', 'ignore', 'ignore'] });
      execFileSync('/usr/bin/xml2dsr', [xml, theirs], { stdio: ['ignore', 'ignore', 'ignore'] });
      return theirs;
    }
    const studyOf = (uid: string) =>
      waitFor(
        async () =>
          (await getJson(`${fhir}/ImagingStudy?identifier=${enc(`urn:dicom:uid|urn:oid:${uid}`)}`)).body.entry?.[0]
            ?.resource,
        { timeoutMs: 30_000, what: `the ImagingStudy ${uid}` },
      );
    const reportOf = (sop: string) =>
      waitFor(
        async () =>
          (await getJson(`${fhir}/DiagnosticReport?identifier=${enc(`urn:dicom:uid|urn:oid:${sop}`)}`)).body.entry?.[0],
        { timeoutMs: 30_000, what: `the report of SR ${sop}` },
      );
    const summaryOf = async (patientRef: string) => {
      const { status, body } = await getJson(`${server.url}/api/oncology/summary?patient=${patientRef.split('/')[1]}`);
      expect(status).toBe(200);
      return body;
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ib-onc-'));
      server = await startTestServer({}, { configFile: CONFIG });
      fhir = `${server.url}/fhir`;
    });
    afterAll(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const summaries: Json[] = [];

    it('SR TID 1500 stored with its CT over STOW-RS: PR at the follow-up', async () => {
      for (const n of [1, 2]) {
        const f = fixture(1, n);
        const sr = readFileSync(dcmtkSr(tid1500Report(f), `stow-${n}`));
        expect(await stow(server.url, [...cts(f, DATES[n - 1]!), sr])).toBe(200);
        await reportOf(f.srInstance);
      }
      const s = await summaryOf((await studyOf(fixture(1, 1).study)).subject.reference);
      expect(essence(s)).toEqual([
        expect.objectContaining({ date: '2024-03-10', sum: 20, responses: ['baseline', 'none', 'baseline', false] }),
        expect.objectContaining({ date: '2024-06-01', sum: 13, responses: ['PR', 'non-CR/non-PD', 'PR', false] }),
      ]);
      summaries.push(s);
    });

    it('the same over C-STORE (storescu): the same summary', async () => {
      for (const n of [1, 2]) {
        const f = fixture(2, n);
        const files = cts(f, DATES[n - 1]!).map((b, i) => {
          const path = join(dir, `cstore-${n}-${i}.dcm`);
          writeFileSync(path, b);
          return path;
        });
        await promisify(execFile)(
          '/usr/bin/storescu',
          [
            '-aec',
            'IMGBRIDGE',
            '-aet',
            'ONC_TEST',
            '127.0.0.1',
            String(server.dicomPort),
            ...files,
            dcmtkSr(tid1500Report(f), `cstore-${n}`),
          ],
          { timeout: 60_000 },
        );
        await reportOf(f.srInstance);
      }
      const s = await summaryOf((await studyOf(fixture(2, 1).study)).subject.reference);
      expect(essence(s)).toEqual(essence(summaries[0]));
      summaries.push(s);
    });

    it('the same measurements through POST /api/ai-results: the same summary', async () => {
      for (const n of [1, 2]) {
        const f = fixture(3, n);
        expect(await stow(server.url, cts(f, DATES[n - 1]!))).toBe(200);
        await studyOf(f.study);
        const lung = { system: 'http://snomed.info/sct', code: '39607008', display: 'Lung' };
        const longAxis = { system: 'http://snomed.info/sct', code: '103339001', display: 'Long Axis' };
        const res = await fetch(`${server.url}/api/ai-results`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            studyInstanceUid: f.study,
            model: { name: 'LungNodule', version: '3.0' },
            findings: [
              {
                code: longAxis,
                bodySite: lung,
                laterality: 'right',
                measurement: { value: Number(f.longAxis), unit: 'mm' },
                trackingId: 'Nodule 1',
                trackingUid: f.trackingUid,
                seriesUid: f.ctSeries,
              },
              {
                code: longAxis,
                bodySite: lung,
                laterality: 'left',
                measurement: { value: 4.1, unit: 'mm' },
                trackingId: 'Nodule 2',
                seriesUid: f.ctSeries,
              },
            ],
          }),
        });
        expect(res.status, await res.clone().text()).toBe(201);
        expect(((await res.json()) as Json).bodyStructures).toHaveLength(2);
      }
      const s = await summaryOf((await studyOf(fixture(3, 1).study)).subject.reference);
      expect(essence(s)).toEqual(essence(summaries[0]));
    });
  },
);
