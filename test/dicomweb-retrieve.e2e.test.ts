import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JPEG_BASELINE, ROOT, ctInstance, encapsulatedInstance, jpegLikeFrames } from '../src/dicom/test-support.js';
import { json } from './support/http.js';
import { splitMultipart, multipartBody } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';
import { dcmtkAvailable } from './support/dcmtk.js';

const STUDY = `${ROOT}.80`;
const SERIES = `${ROOT}.80.1`;
const frames = jpegLikeFrames(3);

/** A 24-bit BMP (bottom-up rows, padded to 4 bytes) with a gradient, for img2dcm. */
function bmp(width: number, height: number): Buffer {
  const row = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + row * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(row * height, 34);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) out.fill(x * 16 + y, 54 + y * row + x * 3, 54 + y * row + x * 3 + 3);
  return out;
}

async function post(server: TestServer, files: Buffer[]) {
  const { body, contentType } = multipartBody(files);
  return fetch(`${server.dicomweb}/studies`, { method: 'POST', body, headers: { 'content-type': contentType } });
}

describe('WADO-RS of compressed and DCMTK img2dcm instances', () => {
  let server: TestServer;
  const instanceUrl = (sop: string) => `${server.dicomweb}/studies/${STUDY}/series/${SERIES}/instances/${sop}`;
  beforeAll(async () => {
    server = await startTestServer({ 'max-qido-results': '3' });
    const res = await post(server, [
      encapsulatedInstance({ study: STUDY, series: SERIES, sop: `${SERIES}.1`, frames }),
    ]);
    expect(res.status).toBe(200);
  });
  afterAll(async () => server?.stop());

  it('answers 406 with a reason when asked to decompress, and the stored bytes with transfer-syntax=*', async () => {
    const refused = await fetch(instanceUrl(`${SERIES}.1`), {
      headers: { accept: 'multipart/related; type="application/dicom"' },
    });
    expect(refused.status).toBe(406);
    expect((await json(refused)).issue[0].diagnostics).toContain(JPEG_BASELINE);
    const stored = await fetch(instanceUrl(`${SERIES}.1`), {
      headers: { accept: `multipart/related; type="application/dicom"; transfer-syntax=${JPEG_BASELINE}` },
    });
    expect(stored.status).toBe(200);
    const [part] = splitMultipart(Buffer.from(await stored.arrayBuffer()), stored.headers.get('content-type')!);
    expect(part!.headers).toContain(`transfer-syntax=${JPEG_BASELINE}`);
  });

  it('serves compressed frames in their own media type, in the order asked', async () => {
    const res = await fetch(`${instanceUrl(`${SERIES}.1`)}/frames/3,1`, {
      headers: { accept: 'multipart/related; type="image/jpeg"' },
    });
    expect(res.status).toBe(200);
    const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(parts.map((p) => p.headers)).toEqual([
      expect.stringContaining('image/jpeg'),
      expect.stringContaining('image/jpeg'),
    ]);
    expect(parts[0]!.data.equals(frames[2]!)).toBe(true);
    expect(parts[1]!.data.equals(frames[0]!)).toBe(true);
    const native = await fetch(`${instanceUrl(`${SERIES}.1`)}/frames/1`, {
      headers: { accept: 'multipart/related; type="application/octet-stream"' },
    });
    expect(native.status).toBe(406);
  });

  it('points the pixel data BulkDataURI at the frames', async () => {
    const [meta] = await json(await fetch(`${instanceUrl(`${SERIES}.1`)}/metadata`));
    const res = await fetch(meta['7FE00010'].BulkDataURI, {
      headers: { accept: 'multipart/related; type="image/jpeg"' },
    });
    expect(res.status).toBe(200);
    expect(splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!)).toHaveLength(3);
  });

  it.skipIf(!dcmtkAvailable(['dcmdump']))(
    'stores an img2dcm Secondary Capture and returns it byte-identical',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ib-img2dcm-'));
      writeFileSync(join(dir, 'in.bmp'), bmp(8, 8));
      execFileSync('img2dcm', [
        '-i',
        'BMP',
        '-k',
        `StudyInstanceUID=${STUDY}`,
        '-k',
        `SeriesInstanceUID=${SERIES}`,
        '-k',
        `SOPInstanceUID=${SERIES}.2`,
        join(dir, 'in.bmp'),
        join(dir, 'out.dcm'),
      ]);
      const file = readFileSync(join(dir, 'out.dcm'));
      expect((await post(server, [file])).status).toBe(200);
      const res = await fetch(instanceUrl(`${SERIES}.2`), {
        headers: { accept: 'application/dicom; transfer-syntax=*' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/dicom');
      expect(Buffer.from(await res.arrayBuffer()).equals(file)).toBe(true);
      const frame = await fetch(`${instanceUrl(`${SERIES}.2`)}/frames/1`, {
        headers: { accept: 'multipart/related; type="application/octet-stream"' },
      });
      const [part] = splitMultipart(Buffer.from(await frame.arrayBuffer()), frame.headers.get('content-type')!);
      expect(part!.data.length).toBe(8 * 8 * 3);
    },
  );

  it('caps QIDO results at the configured maximum with a Warning, and pages with offset', async () => {
    const more = [3, 4, 5, 6].map((n) =>
      ctInstance({
        study: `${ROOT}.81.${n}`,
        series: `${ROOT}.81.${n}.1`,
        sop: `${ROOT}.81.${n}.1.1`,
        patientId: 'PAGE',
      }),
    );
    expect((await post(server, more)).status).toBe(200);
    const first = await fetch(`${server.dicomweb}/studies?PatientID=PAGE`);
    expect(await json(first)).toHaveLength(3);
    expect(first.headers.get('warning')).toMatch(/^299 /);
    const rest = await json(await fetch(`${server.dicomweb}/studies?PatientID=PAGE&offset=3&limit=3`));
    expect(rest).toHaveLength(1);
  });
});
