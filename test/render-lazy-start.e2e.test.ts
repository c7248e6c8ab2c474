/**
 * Render threads start with the first rendered or thumbnail request, not when the server starts
 * listening (cold start of a server that may never render): the server logs each thread start.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from './support/multipart.js';
import { RENDER_STUDY, gradient8, writeImage } from './support/render-images.js';
import { startTestServer, type TestServer } from './support/server.js';

describe('render threads start on demand', () => {
  let server: TestServer;
  let dir: string;
  const logs: { msg?: string; threads?: number }[] = [];
  const threadStarts = () => logs.filter((l) => l.msg === 'render thread started');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-lazy-render-'));
    server = await startTestServer({}, { logTo: { write: (line: string) => logs.push(JSON.parse(line)) } });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts no render thread at start-up or for a STOW, and one for the first thumbnail, which renders', async () => {
    const file = writeImage(dir, {
      name: 'lazy',
      series: 1,
      rows: 32,
      columns: 32,
      bitsAllocated: 8,
      photometric: 'MONOCHROME2',
      pixels: gradient8(32, 32),
    });
    const upload = multipartBody([readFileSync(file)]);
    const stored = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      body: upload.body,
      headers: { 'content-type': upload.contentType },
    });
    expect(stored.status).toBe(200);
    expect(logs.some((l) => l.msg === 'ImagingBridge ready')).toBe(true);
    expect(threadStarts()).toEqual([]);

    const res = await fetch(`${server.dicomweb}/studies/${RENDER_STUDY}/thumbnail`, {
      headers: { accept: 'image/jpeg' },
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(threadStarts().map((l) => l.threads)).toEqual([1]);
  }, 60_000);
});
