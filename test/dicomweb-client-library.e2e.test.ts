import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';

// dicomweb-client (used by OHIF and other web viewers) speaks XMLHttpRequest; xhr2 provides it under Node.
const require = createRequire(import.meta.url);
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = require('xhr2');
const { api } = require('dicomweb-client') as { api: { DICOMwebClient: new (o: { url: string }) => DicomwebClient } };

interface DicomwebClient {
  storeInstances(o: { datasets: ArrayBuffer[] }): Promise<unknown>;
  searchForStudies(o?: { queryParams?: Record<string, string> }): Promise<Record<string, { Value?: unknown[] }>[]>;
  searchForSeries(o: { studyInstanceUID: string }): Promise<Record<string, { Value?: unknown[] }>[]>;
  searchForInstances(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
  }): Promise<Record<string, { Value?: unknown[] }>[]>;
  retrieveStudyMetadata(o: {
    studyInstanceUID: string;
  }): Promise<Record<string, { Value?: unknown[]; BulkDataURI?: string }>[]>;
  retrieveInstance(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
  }): Promise<ArrayBuffer>;
  retrieveInstanceFrames(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
    frameNumbers: number[];
  }): Promise<ArrayBuffer[]>;
}

const STUDY = `${ROOT}.60`;
const SERIES = `${ROOT}.60.1`;

describe('the dicomweb-client library against ImagingBridge', () => {
  let server: TestServer;
  let client: DicomwebClient;
  const files = [1, 2].map((n) =>
    ctInstance({
      study: STUDY,
      series: SERIES,
      sop: `${SERIES}.${n}`,
      patientId: 'LIB-1',
      patientName: 'Library^Client',
    }),
  );

  beforeAll(async () => {
    server = await startTestServer();
    client = new api.DICOMwebClient({ url: server.dicomweb });
  });
  afterAll(async () => server?.stop());

  it('stores instances', async () => {
    const ab = files.map((f) => f.buffer.slice(f.byteOffset, f.byteOffset + f.length) as ArrayBuffer);
    await client.storeInstances({ datasets: ab });
    const studies = await client.searchForStudies({ queryParams: { PatientID: 'LIB-1' } });
    expect(studies).toHaveLength(1);
  });

  it('searches studies, series and instances', async () => {
    const studies = await client.searchForStudies({ queryParams: { PatientName: 'library*' } });
    expect(studies[0]!['0020000D']!.Value).toEqual([STUDY]);
    const series = await client.searchForSeries({ studyInstanceUID: STUDY });
    expect(series[0]!['0020000E']!.Value).toEqual([SERIES]);
    const instances = await client.searchForInstances({ studyInstanceUID: STUDY, seriesInstanceUID: SERIES });
    expect(instances).toHaveLength(2);
  });

  it('retrieves study metadata and an instance byte-for-byte', async () => {
    const meta = await client.retrieveStudyMetadata({ studyInstanceUID: STUDY });
    expect(meta).toHaveLength(2);
    expect(meta[0]!['7FE00010']!.BulkDataURI).toContain('/bulk/');
    const buf = await client.retrieveInstance({
      studyInstanceUID: STUDY,
      seriesInstanceUID: SERIES,
      sopInstanceUID: `${SERIES}.1`,
    });
    // Stored as Explicit VR Little Endian, so the default retrieve is the stored file itself.
    expect(Buffer.from(buf).equals(files[0]!)).toBe(true);
  });

  it('retrieves a frame', async () => {
    const frames = await client.retrieveInstanceFrames({
      studyInstanceUID: STUDY,
      seriesInstanceUID: SERIES,
      sopInstanceUID: `${SERIES}.2`,
      frameNumbers: [1],
    });
    expect(frames).toHaveLength(1);
    expect(new Uint16Array(frames[0]!)[5]).toBe(5);
  });
});
