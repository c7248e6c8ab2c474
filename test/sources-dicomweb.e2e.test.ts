import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runSources } from '../src/cli/sources-command.js';
import { ConfigError } from '../src/core/errors.js';

import { ROOT } from '../src/dicom/test-support.js';
import { json } from './support/http.js';
import { splitMultipart } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';
import { storedObjects, sourceStatus, studyInstances, uploadToOrthanc } from './support/sources.js';
import { waitFor } from './support/wait.js';
import { orthancAvailable, startOrthanc, type OrthancHandle } from './support/orthanc.js';
import { freePorts } from './support/ports.js';

const STUDY = `${ROOT}.71`;
const OTHER = `${ROOT}.72`;

/** Orthanc (Debian) as the watched PACS, over its DICOMweb API only. */
describe.skipIf(!orthancAvailable())('watching a DICOMweb PACS (Orthanc /dicom-web)', () => {
  let orthanc: OrthancHandle;
  let dataDir: string;
  let server: TestServer | undefined;

  const start = (mode: 'copy' | 'metadata-only', name: string, dir: string) =>
    startTestServer(
      { 'data-dir': dir },
      {
        configFile: {
          sources: [
            {
              name,
              kind: 'dicomweb',
              url: orthanc.dicomWebUrl,
              mode,
              pollSeconds: 0.2,
              lookbackDays: 2,
              reconcileHours: 24,
              reconcileDays: 7,
            },
          ],
        },
      },
    );

  beforeAll(async () => {
    const [httpPort, dicomPort] = await freePorts(2);
    orthanc = await startOrthanc({ httpPort: httpPort!, dicomPort: dicomPort! });
    dataDir = mkdtempSync(join(tmpdir(), 'ib-sources-dw-'));
  });
  afterAll(async () => {
    await server?.stop();
    await orthanc?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies a new study, then the instances added to it later', async () => {
    await uploadToOrthanc(orthanc, STUDY, `${STUDY}.1`, [`${STUDY}.1.1`, `${STUDY}.1.2`], 'SRC-DW');
    server = await start('copy', 'orthanc-dw', dataDir);
    await waitFor(async () => (await studyInstances(server!.dicomweb, STUDY)) === 2, {
      timeoutMs: 30_000,
      what: '2 instances on us',
    });
    await uploadToOrthanc(orthanc, STUDY, `${STUDY}.2`, [`${STUDY}.2.1`], 'SRC-DW');
    await waitFor(async () => (await studyInstances(server!.dicomweb, STUDY)) === 3, {
      timeoutMs: 30_000,
      what: '3 instances on us',
    });
    const status = await waitFor(
      async () => {
        const s = await sourceStatus(server!.url, 'orthanc-dw');
        return s?.studies.done === 1 && s;
      },
      { timeoutMs: 30_000, what: 'the study done' },
    );
    expect(status).toMatchObject({
      kind: 'dicomweb',
      mode: 'copy',
      instancesFetched: 3,
      lastError: null,
      running: true,
    });
    expect(storedObjects(dataDir)).toBe(3);
  });

  it('fetches nothing again after a restart', async () => {
    await server!.stop();
    server = await start('copy', 'orthanc-dw', dataDir);
    const before = await sourceStatus(server.url, 'orthanc-dw');
    await waitFor(async () => (await sourceStatus(server!.url, 'orthanc-dw')).polls >= before.polls + 2, {
      timeoutMs: 30_000,
      what: 'two more polls',
    });
    const after = await sourceStatus(server.url, 'orthanc-dw');
    expect(after.instancesFetched).toBe(3);
    expect(after.studies).toMatchObject({ done: 1, failed: 0 });
    expect(storedObjects(dataDir)).toBe(3);
  });

  it('shows the progress with `imaging-bridge sources status`, read from the database', async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    try {
      expect(await runSources(['status', '--data-dir', dataDir, '--json'], {})).toBe(0);
      expect(await runSources(['status', '--data-dir', dataDir], {})).toBe(0);
    } finally {
      log.mockRestore();
    }
    const [source] = JSON.parse(out[0]!).sources;
    expect(source).toMatchObject({
      name: 'orthanc-dw',
      kind: 'dicomweb',
      mode: 'copy',
      endpoint: orthanc.dicomWebUrl,
      instancesFetched: 3,
      studies: { done: 1 },
    });
    expect(out[1]).toContain('1 done, 0 queued, 0 fetching, 0 failed');
  });

  it('refuses to start with an invalid source, naming the key', async () => {
    const bad = startTestServer(
      {},
      { configFile: { sources: [{ name: 'x', kind: 'dicomweb', url: orthanc.dicomWebUrl, pollSeconds: -1 }] } },
    );
    await expect(bad).rejects.toThrow(ConfigError);
    await expect(
      startTestServer({}, { configFile: { sources: [{ name: 'x', kind: 'dicomweb', url: 'nope' }] } }),
    ).rejects.toThrow(/"sources"\[0\]\.url/);
  });

  it('in metadata-only mode indexes the study without its bytes, and fetches them on demand', async () => {
    await server!.stop();
    server = undefined;
    const dir = mkdtempSync(join(tmpdir(), 'ib-sources-dw-meta-'));
    const meta = await start('metadata-only', 'orthanc-meta', dir);
    try {
      await uploadToOrthanc(orthanc, OTHER, `${OTHER}.1`, [`${OTHER}.1.1`, `${OTHER}.1.2`], 'SRC-DW-META');
      await waitFor(async () => (await studyInstances(meta.dicomweb, OTHER)) === 2, {
        timeoutMs: 30_000,
        what: 'the study indexed',
      });
      await waitFor(async () => (await studyInstances(meta.dicomweb, STUDY)) === 3, {
        timeoutMs: 30_000,
        what: 'both studies indexed',
      });
      expect(storedObjects(dir)).toBe(0);
      const metadata = await json(await fetch(`${meta.dicomweb}/studies/${OTHER}/metadata`));
      expect(metadata).toHaveLength(2);
      expect(metadata[0]['00100020'].Value[0]).toBe('SRC-DW-META');
      // Pixel data is named by our own bulk data URL, not Orthanc's.
      expect(metadata[0]['7FE00010'].BulkDataURI).toMatch(new RegExp(`^${meta.dicomweb}/studies/${OTHER}/series/`));
      const status = await sourceStatus(meta.url, 'orthanc-meta');
      expect(status).toMatchObject({ mode: 'metadata-only', instancesFetched: 5 });

      const res = await fetch(`${meta.dicomweb}/studies/${OTHER}/series/${OTHER}.1/instances/${OTHER}.1.2`, {
        headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
      });
      expect(res.status).toBe(200);
      const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
      expect(parts).toHaveLength(1);
      expect(parts[0]!.data.includes(Buffer.from(`${OTHER}.1.2`))).toBe(true);
      expect(storedObjects(dir)).toBe(1);
    } finally {
      await meta.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
