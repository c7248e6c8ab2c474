import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT } from '../src/dicom/test-support.js';
import { json } from './support/http.js';
import { splitMultipart } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';
import { storedObjects, sourceStatus, studyInstances, uploadToOrthanc } from './support/sources.js';
import { waitFor } from './support/wait.js';
import { orthancAvailable, startOrthanc, type OrthancHandle } from './support/orthanc.js';
import { freePorts } from './support/ports.js';

const STUDY = `${ROOT}.81`;
const MOVED = `${ROOT}.82`;
const META = `${ROOT}.83`;

/** The `source` recorded with the instances of a study. */
function sourcesOf(dataDir: string, study: string): string[] {
  const db = new Database(join(dataDir, 'index.sqlite'), { readonly: true });
  try {
    const rows = db
      .prepare(
        'SELECT DISTINCT i.source FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk WHERE st.study_uid = ?',
      )
      .all(study) as { source: string }[];
    return rows.map((r) => r.source);
  } finally {
    db.close();
  }
}

/**
 * Orthanc (Debian) as a DIMSE-only PACS: we watch it with C-FIND and retrieve with C-GET
 * (or C-MOVE to our own SCP). Orthanc knows our AE (DicomModalities) so it answers us.
 */
describe.skipIf(!orthancAvailable())('watching a DIMSE-only PACS (Orthanc C-FIND / C-GET / C-MOVE)', () => {
  let orthanc: OrthancHandle;
  let orthancDicomPort: number;
  let dataDir: string;
  let server: TestServer | undefined;

  const start = (dir: string, source: Record<string, unknown>) =>
    startTestServer(
      { 'data-dir': dir },
      {
        configFile: {
          sources: [
            {
              kind: 'dimse',
              host: '127.0.0.1',
              port: orthancDicomPort,
              aet: 'ORTHANC',
              pollSeconds: 0.2,
              lookbackDays: 2,
              timeoutSeconds: 10,
              ...source,
            },
          ],
        },
      },
    );
  /** Tells Orthanc where our SCP listens now (the port changes with each start). */
  const register = async (s: TestServer) => {
    const res = await fetch(`${orthanc.url}/modalities/bridge`, {
      method: 'PUT',
      body: JSON.stringify({
        AET: 'IMGBRIDGE',
        Host: '127.0.0.1',
        Port: s.dicomPort,
        AllowGet: true,
        AllowFind: true,
        AllowMove: true,
        AllowStore: true,
        AllowEcho: true,
      }),
    });
    if (!res.ok) throw new Error(`Orthanc modalities: ${res.status}`);
  };

  beforeAll(async () => {
    const [httpPort, dicomPort] = await freePorts(2);
    orthancDicomPort = dicomPort!;
    orthanc = await startOrthanc({
      httpPort: httpPort!,
      dicomPort: dicomPort!,
      extraConfig: { DicomModalities: { bridge: ['IMGBRIDGE', '127.0.0.1', 104] } },
    });
    dataDir = mkdtempSync(join(tmpdir(), 'ib-sources-dimse-'));
  });
  afterAll(async () => {
    await server?.stop();
    await orthanc?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies a new study with C-GET, then the instances added to it later', async () => {
    await uploadToOrthanc(orthanc, STUDY, `${STUDY}.1`, [`${STUDY}.1.1`, `${STUDY}.1.2`], 'SRC-DIMSE');
    server = await start(dataDir, { name: 'orthanc-dimse', mode: 'copy', retrieve: 'c-get' });
    await register(server);
    await waitFor(async () => (await studyInstances(server!.dicomweb, STUDY)) === 2, {
      timeoutMs: 30_000,
      what: '2 instances on us',
    });
    await uploadToOrthanc(orthanc, STUDY, `${STUDY}.1`, [`${STUDY}.1.3`], 'SRC-DIMSE');
    await waitFor(async () => (await studyInstances(server!.dicomweb, STUDY)) === 3, {
      timeoutMs: 30_000,
      what: '3 instances on us',
    });
    const status = await waitFor(
      async () => {
        const s = await sourceStatus(server!.url, 'orthanc-dimse');
        return s?.studies.done === 1 && s;
      },
      { timeoutMs: 30_000, what: 'the study done' },
    );
    expect(status).toMatchObject({
      kind: 'dimse',
      mode: 'copy',
      endpoint: `ORTHANC@127.0.0.1:${orthancDicomPort}`,
      instancesFetched: 3,
    });
    expect(storedObjects(dataDir)).toBe(3);
    expect(sourcesOf(dataDir, STUDY)).toEqual(['source:orthanc-dimse']);
  });

  it('fetches nothing again after a restart', async () => {
    await server!.stop();
    server = await start(dataDir, { name: 'orthanc-dimse', mode: 'copy', retrieve: 'c-get' });
    await register(server);
    const before = await sourceStatus(server.url, 'orthanc-dimse');
    await waitFor(async () => (await sourceStatus(server!.url, 'orthanc-dimse')).polls >= before.polls + 2, {
      timeoutMs: 30_000,
      what: 'two more polls',
    });
    const after = await sourceStatus(server.url, 'orthanc-dimse');
    expect(after).toMatchObject({ instancesFetched: 3, lastError: null, studies: { done: 1, failed: 0 } });
    expect(storedObjects(dataDir)).toBe(3);
  });

  it('copies with C-MOVE to our own SCP', async () => {
    await server!.stop();
    const dir = mkdtempSync(join(tmpdir(), 'ib-sources-move-'));
    server = await start(dir, { name: 'orthanc-move', mode: 'copy', retrieve: 'c-move' });
    try {
      await register(server);
      await uploadToOrthanc(orthanc, MOVED, `${MOVED}.1`, [`${MOVED}.1.1`, `${MOVED}.1.2`], 'SRC-MOVE');
      await waitFor(async () => (await studyInstances(server!.dicomweb, MOVED)) === 2, {
        timeoutMs: 30_000,
        what: 'the moved study on us',
      });
      await waitFor(async () => (await studyInstances(server!.dicomweb, STUDY)) === 3, {
        timeoutMs: 30_000,
        what: 'the first study on us too',
      });
      expect(storedObjects(dir)).toBe(5);
      // They came in through our C-STORE SCP, sent by Orthanc.
      expect(sourcesOf(dir, MOVED)).toEqual(['ORTHANC']);
    } finally {
      await server.stop();
      server = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in metadata-only mode indexes from C-FIND, and our WADO-RS fetches the bytes with C-GET on demand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-sources-dimse-meta-'));
    const meta = await start(dir, { name: 'orthanc-meta', mode: 'metadata-only', retrieve: 'c-get' });
    try {
      await register(meta);
      await uploadToOrthanc(orthanc, META, `${META}.1`, [`${META}.1.1`, `${META}.1.2`], 'SRC-DIMSE-META');
      await waitFor(async () => (await studyInstances(meta.dicomweb, META)) === 2, {
        timeoutMs: 30_000,
        what: 'the study indexed',
      });
      expect(storedObjects(dir)).toBe(0);
      const studies = await json(await fetch(`${meta.dicomweb}/studies?PatientID=SRC-DIMSE-META`));
      expect(studies).toHaveLength(1);
      expect(studies[0]['00080061'].Value).toEqual(['CT']);
      const metadata = await json(await fetch(`${meta.dicomweb}/studies/${META}/metadata`));
      expect(metadata).toHaveLength(2);
      expect(metadata[0]['00080016'].Value[0]).toBe('1.2.840.10008.5.1.4.1.1.2');

      const res = await fetch(`${meta.dicomweb}/studies/${META}`, {
        headers: { accept: 'multipart/related; type="application/dicom"' },
      });
      expect(res.status).toBe(200);
      const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
      expect(parts).toHaveLength(2);
      expect(storedObjects(dir)).toBe(2);
      // Now held locally: the full metadata (Rows, pixel data) replaces what C-FIND gave.
      const full = await json(await fetch(`${meta.dicomweb}/studies/${META}/metadata`));
      expect(full[0]['00280010'].Value[0]).toBe(4);
    } finally {
      await meta.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
