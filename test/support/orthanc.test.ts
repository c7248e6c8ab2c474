import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallInstances } from '../../bench/datasets.js';
import { encodeInstance } from '../../bench/generate.js';
import { dcmtkAvailable, echo, storeFiles } from './dcmtk.js';
import { orthancAvailable, startOrthanc, type OrthancHandle } from './orthanc.js';
import { freePorts } from './ports.js';

function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!orthancAvailable())('Orthanc test harness', () => {
  let orthanc: OrthancHandle;

  beforeAll(async () => {
    const [httpPort, dicomPort] = await freePorts(2);
    orthanc = await startOrthanc({
      httpPort: httpPort!,
      dicomPort: dicomPort!,
      aet: 'HARNESS',
      extraConfig: { DicomModalities: { bridge: ['BRIDGE', '127.0.0.1', 11112] } },
    });
  });

  afterAll(async () => {
    await orthanc?.stop();
  });

  it('answers /system with the configured ports and AET', async () => {
    const { status, body } = await getJson(`${orthanc.url}/system`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ DicomAet: 'HARNESS', DicomPort: orthanc.dicomPort, Name: 'OrthancBench' });
    expect(orthanc.peakRssKb()).toBeGreaterThan(0);
  });

  it('serves DICOMweb and the merged extra config', async () => {
    const studies = await getJson(`${orthanc.dicomWebUrl}/studies`);
    expect(studies.status).toBe(200);
    expect(studies.body).toEqual([]);
    const modalities = await getJson(`${orthanc.url}/modalities`);
    expect(modalities.body).toEqual(['bridge']);
  });

  it.skipIf(!dcmtkAvailable())('accepts C-ECHO and C-STORE from DCMTK', async () => {
    await echo('127.0.0.1', orthanc.dicomPort, orthanc.aet, { timeoutMs: 10_000 });
    const dir = mkdtempSync(join(tmpdir(), 'ib-dcmtk-'));
    try {
      const instance = smallInstances().next().value!;
      writeFileSync(join(dir, 'one.dcm'), encodeInstance(instance));
      await storeFiles('127.0.0.1', orthanc.dicomPort, orthanc.aet, [dir], { timeoutMs: 20_000 });
      const studies = await getJson(`${orthanc.dicomWebUrl}/studies?StudyInstanceUID=${instance.studyUid}`);
      expect(studies.body).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes its temporary folder on stop', async () => {
    const dir = orthanc.dir;
    await orthanc.stop();
    expect(existsSync(dir)).toBe(false);
  });
});
