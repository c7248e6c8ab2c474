import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { getJson, imagingStudies, stow, type Json } from './support/http.js';
import { orthancAvailable, startOrthanc, type OrthancHandle } from './support/orthanc.js';
import { freePorts } from './support/ports.js';
import { startTestServer, type TestServer } from './support/server.js';
import { today, uploadToOrthanc } from './support/sources.js';
import { waitFor } from './support/wait.js';

const STUDY = `${ROOT}.81`;
const MIXED = `${ROOT}.82`;

/** The Endpoint addresses ImagingStudy.endpoint of the study names (one FHIR read each). */
async function endpointAddresses(server: TestServer, studyUid: string): Promise<string[]> {
  const [study] = await imagingStudies(`${server.url}/fhir`, studyUid);
  const refs: string[] = (study?.endpoint ?? []).map((r: Json) => r.reference);
  return Promise.all(refs.map(async (ref) => (await getJson(`${server.url}/fhir/${ref}`)).body.address as string));
}

/** Orthanc as the watched PACS, metadata-only: which DICOMweb service the FHIR Endpoint names. */
describe.skipIf(!orthancAvailable())('the Endpoint of a watched DICOMweb PACS’s studies (sources `endpoint`)', () => {
  let orthanc: OrthancHandle;
  let dataDir: string;
  let server: TestServer | undefined;

  const start = (endpoint: 'ours' | 'source' | undefined) =>
    startTestServer(
      { 'data-dir': dataDir },
      {
        configFile: {
          sources: [
            {
              name: 'pacs',
              kind: 'dicomweb',
              url: orthanc.dicomWebUrl,
              mode: 'metadata-only',
              pollSeconds: 0.2,
              ...(endpoint ? { endpoint } : {}),
            },
          ],
        },
      },
    );

  beforeAll(async () => {
    const [httpPort, dicomPort] = await freePorts(2);
    orthanc = await startOrthanc({ httpPort: httpPort!, dicomPort: dicomPort! });
    dataDir = mkdtempSync(join(tmpdir(), 'ib-sources-endpoint-'));
  });
  afterAll(async () => {
    await server?.stop();
    await orthanc?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('names the PACS with endpoint "source"', async () => {
    await uploadToOrthanc(orthanc, STUDY, `${STUDY}.1`, [`${STUDY}.1.1`], 'SRC-EP');
    await uploadToOrthanc(orthanc, MIXED, `${MIXED}.1`, [`${MIXED}.1.1`], 'SRC-EP');
    server = await start('source');
    const pacs = orthanc.dicomWebUrl.replace(/\/+$/, '');
    await waitFor(async () => (await endpointAddresses(server!, STUDY)).join() === pacs, {
      timeoutMs: 30_000,
      what: 'the study synced, naming the PACS',
    });
    await waitFor(async () => (await endpointAddresses(server!, MIXED)).join() === pacs, {
      timeoutMs: 30_000,
      what: 'the second study synced, naming the PACS',
    });
  });

  it('names ours when an instance of the study came another way (only ours serves them all)', async () => {
    const stored = await stow(server!.url, [
      ctInstance({
        study: MIXED,
        series: `${MIXED}.2`,
        sop: `${MIXED}.2.1`,
        patientId: 'SRC-EP',
        patientName: 'Watched^Patient',
        studyDate: today(),
      }),
    ]);
    expect(stored).toBe(200);
    await waitFor(async () => (await endpointAddresses(server!, MIXED)).join() === server!.dicomweb, {
      timeoutMs: 30_000,
      what: 'the mixed study naming our DICOMweb only',
    });
  });

  it('names ours by default after a restart with the choice changed, replacing the PACS reference', async () => {
    await server!.stop();
    server = await start(undefined);
    await waitFor(async () => (await endpointAddresses(server!, STUDY)).join() === server!.dicomweb, {
      timeoutMs: 30_000,
      what: 'the study naming our DICOMweb only',
    });
  });

  it('refuses endpoint on a DIMSE source and an unknown choice, naming the key', async () => {
    const bad = async (source: Json) =>
      startTestServer({ 'data-dir': dataDir }, { configFile: { sources: [source] } }).then(
        async (s) => {
          await s.stop();
          return 'started';
        },
        (e: Error) => e.message,
      );
    expect(await bad({ name: 'p', kind: 'dicomweb', url: orthanc.dicomWebUrl, endpoint: 'pacs' })).toMatch(
      /sources"\[0\]\.endpoint: expected "ours" or "source"/,
    );
    expect(await bad({ name: 'd', kind: 'dimse', host: '127.0.0.1', port: 104, aet: 'X', endpoint: 'source' })).toMatch(
      /sources"\[0\]\.endpoint: a dimse source has no DICOMweb service/,
    );
  });
});
