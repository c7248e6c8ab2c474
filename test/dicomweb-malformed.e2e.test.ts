import { request } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { multipartBody } from './support/multipart.js';

async function post(server: TestServer, body: Buffer, contentType: string, path = '/studies') {
  const res = await fetch(`${server.dicomweb}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });
  return {
    status: res.status,
    warning: res.headers.get('warning') ?? '',
    json: await json(res).catch(() => undefined),
  };
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  return n;
}

describe('malformed input to STOW-RS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('answers a truncated file with FailureReason 0xC000 and a reason, storing nothing', async () => {
    const file = ctInstance({ sop: `${ROOT}.9.1` });
    for (const cut of [10, 140, 300, file.length - 7]) {
      const { body, contentType } = multipartBody([file.subarray(0, cut)]);
      const res = await post(server, body, contentType);
      expect(res.status).toBe(409);
      expect(res.json['00081198'].Value[0]['00081197'].Value[0]).toBe(0xc000);
      expect(res.warning.length).toBeGreaterThan(10);
    }
    expect(countFiles(join(server.dataDir, 'blobs'))).toBe(0);
    expect(countFiles(join(server.dataDir, 'tmp'))).toBe(0);
  });

  it('answers 400 for a multipart body without its closing boundary and 415 for unsupported types', async () => {
    const { body, contentType } = multipartBody([ctInstance({ sop: `${ROOT}.9.2` })]);
    const broken = await post(server, body.subarray(0, body.length - 30), contentType);
    expect(broken.status).toBe(400);
    expect(broken.json.resourceType).toBe('OperationOutcome');
    expect((await post(server, Buffer.from('{}'), 'application/json')).status).toBe(415);
    expect((await post(server, body, 'multipart/related; type="application/dicom+xml"; boundary=x')).status).toBe(415);
    expect(countFiles(join(server.dataDir, 'tmp'))).toBe(0);
  });

  it('refuses an element claiming an absurd length without hanging or crashing', async () => {
    const file = Buffer.from(ctInstance({ sop: `${ROOT}.9.3` }));
    // Overwrite the length of the first dataset element (after the File Meta) with 0xFFFFFFF0-like garbage.
    const at = file.indexOf(Buffer.from([0x08, 0x00, 0x05, 0x00]), 132 + 12);
    file.writeUInt16LE(0xfff0, at + 6);
    const { body, contentType } = multipartBody([file]);
    const res = await post(server, body, contentType);
    expect(res.status).toBe(409);
    expect(res.json['00081198'].Value[0]['00081197'].Value[0]).toBe(0xc000);
  });

  it('stores the good parts of a request whose other parts are not DICOM (202)', async () => {
    const { body, contentType } = multipartBody([Buffer.from('not dicom at all'), ctInstance({ sop: `${ROOT}.9.4` })]);
    const res = await post(server, body, contentType);
    expect(res.status).toBe(202);
    expect(res.json['00081199'].Value).toHaveLength(1);
    expect(res.json['00081198'].Value).toHaveLength(1);
  });

  it('survives a client that disconnects mid-upload and keeps serving', async () => {
    const url = new URL(`${server.dicomweb}/studies`);
    await new Promise<void>((resolve) => {
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'multipart/related; type="application/dicom"; boundary=abc',
          'content-length': '100000',
        },
      });
      req.on('error', () => resolve());
      req.write(`--abc\r\nContent-Type: application/dicom\r\n\r\n${'x'.repeat(1000)}`);
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(countFiles(join(server.dataDir, 'tmp'))).toBe(0);
  });

  it('answers QIDO with a bad limit as 400 OperationOutcome and unknown routes as 404', async () => {
    const bad = await fetch(`${server.dicomweb}/studies?limit=abc`);
    expect(bad.status).toBe(400);
    expect((await json(bad)).resourceType).toBe('OperationOutcome');
    expect((await fetch(`${server.dicomweb}/nothing-here`)).status).toBe(404);
  });
});
