import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetOffset } from '../src/dicom/index.js';
import { dcmtkAvailable, runDcmtk } from './support/dcmtk.js';
import { freePort } from './support/ports.js';
import { spawnManaged, type ManagedProcess } from './support/process.js';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { multipartBody } from './support/multipart.js';

const haveDcmtk = dcmtkAvailable(['findscu', 'movescu', 'getscu', 'storescp', 'dcmdump']) && hasDcm2json();
const S1 = `${ROOT}.31`; // patient P31: 2 series (CT 2 instances, MR 1 instance)
const S2 = `${ROOT}.32`; // patient P31: 1 series
const S3 = `${ROOT}.33`; // patient P32: 1 series, stored as implicit VR LE
const DEST = 'DESTSCP';

function hasDcm2json(): boolean {
  try {
    execFileSync('dcm2json', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

type Json = Record<string, { vr: string; Value?: unknown[] }>;

const value = (j: Json, tag: string) => j[tag]?.Value?.[0];
const sorted = (xs: unknown[]) => [...xs].map(String).sort();

describe.skipIf(!haveDcmtk)('C-FIND, C-MOVE and C-GET with DCMTK', () => {
  let server: TestServer;
  let dir: string;
  let destPort: number;
  let storescp: ManagedProcess;
  const originals = new Map<string, Buffer>();

  beforeAll(async () => {
    destPort = await freePort();
    server = await startTestServer(
      {},
      { configFile: { dimse: { peers: { [DEST]: { host: '127.0.0.1', port: destPort } } } } },
    );
    const instances = [
      ctInstance({
        study: S1,
        series: `${S1}.1`,
        sop: `${S1}.1.1`,
        patientId: 'P31',
        patientName: 'Doe^John',
        studyDate: '20240110',
      }),
      ctInstance({
        study: S1,
        series: `${S1}.1`,
        sop: `${S1}.1.2`,
        patientId: 'P31',
        patientName: 'Doe^John',
        studyDate: '20240110',
      }),
      ctInstance({
        study: S1,
        series: `${S1}.2`,
        sop: `${S1}.2.1`,
        patientId: 'P31',
        patientName: 'Doe^John',
        modality: 'MR',
        studyDate: '20240110',
      }),
      ctInstance({
        study: S2,
        series: `${S2}.1`,
        sop: `${S2}.1.1`,
        patientId: 'P31',
        patientName: 'Doe^John',
        studyDate: '20240220',
      }),
      ctInstance({
        study: S3,
        series: `${S3}.1`,
        sop: `${S3}.1.1`,
        patientId: 'P32',
        patientName: 'Roe^Jane',
        studyDate: '20240301',
        transferSyntaxUid: '1.2.840.10008.1.2',
      }),
    ];
    for (const f of instances) originals.set(sopOf(f), f);
    const body = multipartBody(instances);
    const res = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      body: body.body,
      headers: { 'content-type': body.contentType },
    });
    expect(res.status).toBe(200);
    dir = mkdtempSync(join(tmpdir(), 'ib-dimse-qr-'));
  });
  afterAll(async () => {
    await storescp?.stop();
    await server?.stop();
  });

  /** findscu with -X: each response written to a file, read back as DICOM JSON with dcm2json. */
  async function find(model: '-S' | '-P', keys: string[]): Promise<Json[]> {
    const out = mkdtempSync(join(dir, 'find-'));
    const args = [
      model,
      '-X',
      '-od',
      out,
      '-aec',
      'IMGBRIDGE',
      ...keys.flatMap((k) => ['-k', k]),
      '127.0.0.1',
      String(server.dicomPort),
    ];
    await runDcmtk('findscu', args);
    return readdirSync(out)
      .sort()
      .map((f) => JSON.parse(execFileSync('dcm2json', [join(out, f)], { encoding: 'utf8' })) as Json);
  }

  it('answers a STUDY query like QIDO-RS /studies, with the requested keys', async () => {
    const answers = await find('-S', [
      'QueryRetrieveLevel=STUDY',
      'PatientName=Doe*',
      'StudyInstanceUID',
      'StudyDate',
      'NumberOfStudyRelatedInstances',
      'ModalitiesInStudy',
      'RetrieveAETitle',
    ]);
    const qido = await json(await fetch(`${server.dicomweb}/studies?PatientName=Doe*`));
    expect(sorted(answers.map((a) => value(a, '0020000D')))).toEqual(
      sorted(qido.map((q: Json) => value(q, '0020000D'))),
    );
    const s1 = answers.find((a) => value(a, '0020000D') === S1)!;
    expect(value(s1, '00201208')).toBe(3);
    expect(s1['00080061']?.Value).toEqual(['CT', 'MR']);
    expect(value(s1, '00080054')).toBe('IMGBRIDGE');
    expect(value(s1, '00080052')).toBe('STUDY');
    expect(s1['00100020']).toBeUndefined(); // not asked for, not returned
  });

  it('matches a study date range and a series-level query within a study', async () => {
    const inRange = await find('-S', ['QueryRetrieveLevel=STUDY', 'StudyDate=20240201-20240331', 'StudyInstanceUID']);
    expect(sorted(inRange.map((a) => value(a, '0020000D')))).toEqual(sorted([S2, S3]));
    const series = await find('-S', [
      'QueryRetrieveLevel=SERIES',
      `StudyInstanceUID=${S1}`,
      'SeriesInstanceUID',
      'Modality',
      'NumberOfSeriesRelatedInstances',
    ]);
    const qido = await json(await fetch(`${server.dicomweb}/studies/${S1}/series`));
    expect(sorted(series.map((a) => value(a, '0020000E')))).toEqual(
      sorted(qido.map((q: Json) => value(q, '0020000E'))),
    );
    expect(series.find((a) => value(a, '00080060') === 'MR')?.['00201209']?.Value).toEqual([1]);
  });

  it('answers an IMAGE query with the instances QIDO-RS lists', async () => {
    const images = await find('-S', [
      'QueryRetrieveLevel=IMAGE',
      `StudyInstanceUID=${S1}`,
      `SeriesInstanceUID=${S1}.1`,
      'SOPInstanceUID',
      'InstanceNumber',
      'Rows',
    ]);
    const qido = await json(await fetch(`${server.dicomweb}/studies/${S1}/series/${S1}.1/instances`));
    expect(sorted(images.map((a) => value(a, '00080018')))).toEqual(
      sorted(qido.map((q: Json) => value(q, '00080018'))),
    );
    expect(value(images[0]!, '00280010')).toBe(4);
  });

  it('answers Patient Root PATIENT and STUDY queries, grouping studies by Patient ID', async () => {
    const patients = await find('-P', [
      'QueryRetrieveLevel=PATIENT',
      'PatientID',
      'PatientName',
      'NumberOfPatientRelatedStudies',
      'NumberOfPatientRelatedInstances',
    ]);
    const byId = new Map(patients.map((p) => [value(p, '00100020'), p]));
    expect(value(byId.get('P31')!, '00201200')).toBe(2);
    expect(value(byId.get('P31')!, '00201204')).toBe(4);
    expect(value(byId.get('P32')!, '00201200')).toBe(1);
    const studies = await find('-P', ['QueryRetrieveLevel=STUDY', 'PatientID=P31', 'StudyInstanceUID']);
    expect(sorted(studies.map((a) => value(a, '0020000D')))).toEqual(sorted([S1, S2]));
  });

  it('answers a query without QueryRetrieveLevel with a failure status', async () => {
    const r = await runDcmtk(
      'findscu',
      ['-v', '-S', '-aec', 'IMGBRIDGE', '-k', 'PatientID', '127.0.0.1', String(server.dicomPort)],
      { allowFailure: true },
    );
    expect(r.stderr + r.stdout).toMatch(/Find Response.*(0xa900|DoesNotMatchSOPClass)/i);
  });

  it('moves a study to a configured storescp destination, byte for byte', async () => {
    const out = mkdtempSync(join(dir, 'move-'));
    storescp = spawnManaged('storescp', ['-aet', DEST, '-od', out, '+xa', String(destPort)], {
      cwd: out,
      name: 'storescp',
    });
    await new Promise((r) => setTimeout(r, 500));
    const r = await runDcmtk('movescu', [
      '-v',
      '-S',
      '-aec',
      'IMGBRIDGE',
      '-aem',
      DEST,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${S1}`,
      '127.0.0.1',
      String(server.dicomPort),
    ]);
    expect(r.stderr + r.stdout).toContain('Received Final Move Response (Success)');
    const files = readdirSync(out).filter((f) => f.startsWith('CT') || f.startsWith('MR'));
    expect(files).toHaveLength(3);
    for (const f of files) {
      const received = readFileSync(join(out, f));
      const sop = f.slice(3);
      expect(datasetBytes(received).equals(datasetBytes(originals.get(sop)!))).toBe(true);
    }
    const implicit = await runDcmtk('movescu', [
      '-v',
      '-S',
      '-aec',
      'IMGBRIDGE',
      '-aem',
      DEST,
      '-k',
      'QueryRetrieveLevel=IMAGE',
      '-k',
      `StudyInstanceUID=${S3}`,
      '-k',
      `SeriesInstanceUID=${S3}.1`,
      '-k',
      `SOPInstanceUID=${S3}.1.1`,
      '127.0.0.1',
      String(server.dicomPort),
    ]);
    expect(implicit.stderr + implicit.stdout).toContain('Received Final Move Response (Success)');
    expect(readdirSync(out)).toContain(`CT.${S3}.1.1`);
  });

  it('answers 0xA801 for a move destination that is not configured', async () => {
    const r = await runDcmtk(
      'movescu',
      [
        '-v',
        '-S',
        '-aec',
        'IMGBRIDGE',
        '-aem',
        'NOWHERE',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${S1}`,
        '127.0.0.1',
        String(server.dicomPort),
      ],
      { allowFailure: true },
    );
    expect(r.stderr + r.stdout).toMatch(/Move Response.*(0xa801|MoveDestinationUnknown)/i);
  });

  it('sends a series back over the C-GET association, with counts', async () => {
    const out = mkdtempSync(join(dir, 'get-'));
    const r = await runDcmtk('getscu', [
      '-v',
      '-S',
      '-aec',
      'IMGBRIDGE',
      '-od',
      out,
      '-k',
      'QueryRetrieveLevel=SERIES',
      '-k',
      `StudyInstanceUID=${S1}`,
      '-k',
      `SeriesInstanceUID=${S1}.1`,
      '127.0.0.1',
      String(server.dicomPort),
    ]);
    expect(r.stderr + r.stdout).toContain('Number of Completed Suboperations : 2');
    expect(r.stderr + r.stdout).toContain('Number of Failed Suboperations    : 0');
    const files = readdirSync(out);
    expect(files.sort()).toEqual([`CT.${S1}.1.1`, `CT.${S1}.1.2`]);
    for (const f of files)
      expect(datasetBytes(readFileSync(join(out, f))).equals(datasetBytes(originals.get(f.slice(3))!))).toBe(true);
  });
});

function sopOf(file: Buffer): string {
  const m = /1\.2\.826\.0\.1\.3680043\.10\.1456\.88\.3[0-9.]+/.exec(file.toString('latin1'));
  return m![0].replace(/\0$/, '');
}

function datasetBytes(file: Buffer): Buffer {
  return file.subarray(datasetOffset(file)!);
}
