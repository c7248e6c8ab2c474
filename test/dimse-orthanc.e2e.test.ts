import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { orthancAvailable, startOrthanc, type OrthancHandle } from './support/orthanc.js';
import { freePorts } from './support/ports.js';

const STUDY = `${ROOT}.61`;
const SERIES = `${ROOT}.61.1`;

async function orthancJson(orthanc: OrthancHandle, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${orthanc.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Orthanc ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Orthanc (Debian package) as a DIMSE peer: it echoes us, stores to us with C-STORE
 * (/modalities/{id}/store), queries us with C-FIND and asks us to C-MOVE back to itself.
 */
describe.skipIf(!orthancAvailable())('Orthanc as a DIMSE SCU of ImagingBridge', () => {
  let server: TestServer;
  let orthanc: OrthancHandle;

  beforeAll(async () => {
    const [httpPort, dicomPort] = await freePorts(2);
    server = await startTestServer(
      {},
      { configFile: { dimse: { peers: { ORTHANC: { host: '127.0.0.1', port: dicomPort! } } } } },
    );
    orthanc = await startOrthanc({
      httpPort: httpPort!,
      dicomPort: dicomPort!,
      extraConfig: { DicomModalities: { bridge: ['IMGBRIDGE', '127.0.0.1', server.dicomPort] } },
    });
  });
  afterAll(async () => {
    await orthanc?.stop();
    await server?.stop();
  });

  it('answers its C-ECHO', async () => {
    await orthancJson(orthanc, '/modalities/bridge/echo', {});
  });

  it('receives its C-STORE of three instances', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const file = ctInstance({
        study: STUDY,
        series: SERIES,
        sop: `${SERIES}.${i}`,
        patientId: 'ORTH-DIMSE',
        patientName: 'Orthanc^Dimse',
      });
      ids.push(((await orthancJson(orthanc, '/instances', file)) as { ID: string }).ID);
    }
    const result = (await orthancJson(orthanc, '/modalities/bridge/store', { Resources: ids, Synchronous: true })) as {
      InstancesCount: number;
      FailedInstancesCount: number;
    };
    expect(result.FailedInstancesCount).toBe(0);
    const found = await json(await fetch(`${server.dicomweb}/studies?PatientID=ORTH-DIMSE`));
    expect(found).toHaveLength(1);
    expect(found[0]['00201208'].Value[0]).toBe(3);
  });

  it('answers its C-FIND and moves the study back to it with C-MOVE', async () => {
    const query = (await orthancJson(orthanc, '/modalities/bridge/query', {
      Level: 'Study',
      Query: { PatientID: 'ORTH-DIMSE' },
    })) as { ID: string };
    const answers = (await orthancJson(orthanc, `/queries/${query.ID}/answers?expand`)) as Record<
      string,
      { Value: string }
    >[];
    expect(answers).toHaveLength(1);
    expect(answers[0]!['0020,000d']!.Value).toBe(STUDY);
    // Delete Orthanc's copies, then have us send them back.
    const studies = (await orthancJson(orthanc, '/studies')) as string[];
    for (const id of studies) await fetch(`${orthanc.url}/studies/${id}`, { method: 'DELETE' });
    await orthancJson(orthanc, '/modalities/bridge/move', {
      Level: 'Study',
      Resources: [{ StudyInstanceUID: STUDY }],
      TargetAet: 'ORTHANC',
      Synchronous: true,
    });
    const back = (await orthancJson(orthanc, '/instances')) as string[];
    expect(back).toHaveLength(3);
  });
});
