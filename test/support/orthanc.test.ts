import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
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

  it('removes its temporary folder on stop', async () => {
    const dir = orthanc.dir;
    await orthanc.stop();
    expect(existsSync(dir)).toBe(false);
  });
});
