import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { orthancAvailable, startOrthanc, type OrthancHandle } from './support/orthanc.js';
import { freePorts } from './support/ports.js';

const STUDY = `${ROOT}.50`;
const SERIES = `${ROOT}.50.1`;

async function orthancJson(orthanc: OrthancHandle, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${orthanc.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    body:
      body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Orthanc ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Orthanc (Debian package) acting as a DICOMweb client of ours through its DicomWeb.Servers
 * setting: it pushes instances to us with STOW-RS, searches us with QIDO-RS and pulls from
 * us with WADO-RS.
 */
describe.skipIf(!orthancAvailable())('Orthanc as a DICOMweb client of ImagingBridge', () => {
  let server: TestServer;
  let orthanc: OrthancHandle;

  beforeAll(async () => {
    server = await startTestServer();
    const [httpPort, dicomPort] = await freePorts(2);
    orthanc = await startOrthanc({
      httpPort: httpPort!,
      dicomPort: dicomPort!,
      extraConfig: { DicomWeb: { Servers: { bridge: [`${server.dicomweb}/`] } } },
    });
  });
  afterAll(async () => {
    await orthanc?.stop();
    await server?.stop();
  });

  it('stores to us with STOW-RS', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const file = ctInstance({
        study: STUDY,
        series: SERIES,
        sop: `${SERIES}.${i}`,
        patientId: 'ORTH-1',
        patientName: 'Orthanc^Test',
      });
      const r = (await orthancJson(orthanc, '/instances', file)) as { ID: string };
      ids.push(r.ID);
    }
    await orthancJson(orthanc, '/dicom-web/servers/bridge/stow', { Resources: ids, Synchronous: true });
    const found = await json(await fetch(`${server.dicomweb}/studies?PatientID=ORTH-1`));
    expect(found).toHaveLength(1);
    expect(found[0]['00201208'].Value[0]).toBe(3);
  });

  it('searches us with QIDO-RS through its proxy', async () => {
    const answer = (await orthancJson(orthanc, '/dicom-web/servers/bridge/get', {
      Uri: '/studies',
      Arguments: { StudyInstanceUID: STUDY },
    })) as Record<string, { Value: unknown[] }>[];
    expect(answer).toHaveLength(1);
    expect(answer[0]!['0020000D']!.Value[0]).toBe(STUDY);
  });

  it('retrieves from us with WADO-RS into its own store, with the same pixel data', async () => {
    // Empty Orthanc first, so what it holds afterwards came from us.
    for (const id of (await orthancJson(orthanc, '/studies')) as string[]) {
      await fetch(`${orthanc.url}/studies/${id}`, { method: 'DELETE' });
    }
    await orthancJson(orthanc, '/dicom-web/servers/bridge/retrieve', {
      Resources: [{ Study: STUDY }],
      Synchronous: true,
    });
    const instances = (await orthancJson(orthanc, '/instances?expand')) as {
      ID: string;
      MainDicomTags: { SOPInstanceUID: string };
    }[];
    expect(instances.map((i) => i.MainDicomTags.SOPInstanceUID).sort()).toEqual([1, 2, 3].map((n) => `${SERIES}.${n}`));
    const pixels = Buffer.from(
      await (await fetch(`${orthanc.url}/instances/${instances[0]!.ID}/frames/0/raw`)).arrayBuffer(),
    );
    expect(pixels.readUInt16LE(2 * 5)).toBe(5);
  });
});
