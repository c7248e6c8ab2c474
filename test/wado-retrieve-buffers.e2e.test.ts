/**
 * A study retrieve refills its read buffers once the socket has taken what they held
 * (src/dicomweb/retrieve-buffers.ts). A study several times the buffers' size, every instance
 * with its own random pixels, is retrieved by a client reading as fast as it can and by one
 * that stalls between chunks (the socket backs up, the read-ahead runs ahead): every part must
 * come back byte-identical. A refill before the socket took the old bytes would show
 * up as another instance's pixels in a part. The slabs go from one retrieve to the next
 * (src/dicomweb/slab-pool.ts): retrieves one after another, one abandoned half-way and two at
 * once must each come back whole as well.
 */
import { randomFillSync } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { DEFAULT_MAX_SLABS, DEFAULT_SLAB_BYTES } from '../src/dicomweb/retrieve-buffers.js';
import { multipartBody, splitMultipart } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';

const STUDY = `${ROOT}.77.1`;
const SERIES = `${ROOT}.77.2`;
const ROWS = 256;
const COLUMNS = 256;
const ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/** GET with the body read chunk by chunk, pausing `stallMs` after each chunk (0: no pause). */
function get(url: string, stallMs: number): Promise<{ status: number; contentType: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: ACCEPT } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        // Copied: the client's own buffers are not what is under test.
        chunks.push(Buffer.from(chunk));
        if (stallMs > 0) {
          res.pause();
          setTimeout(() => res.resume(), stallMs);
        }
      });
      res.once('error', reject);
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type']),
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.once('error', reject);
    req.end();
  });
}

describe('WADO-RS study retrieve with refilled read buffers', () => {
  let server: TestServer;
  const files: Buffer[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    // 256 × 128 KB: twice what the slabs of one retrieve hold (each batch of reads fills one
    // slab about half), so each slab is refilled several times.
    for (let n = 1; n <= 256; n++) {
      const file = ctInstance({ study: STUDY, series: SERIES, sop: `${SERIES}.${n}`, rows: ROWS, columns: COLUMNS });
      randomFillSync(file, file.length - ROWS * COLUMNS * 2); // the pixel data ends the file
      files.push(file);
    }
    expect(files.reduce((sum, f) => sum + f.length, 0)).toBeGreaterThan(2 * DEFAULT_SLAB_BYTES * DEFAULT_MAX_SLABS);
    const upload = multipartBody(files);
    const res = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      headers: { 'content-type': upload.contentType, accept: 'application/dicom+json' },
      body: upload.body,
    });
    expect(res.status).toBe(200);
  }, 120_000);
  afterAll(async () => server?.stop());

  for (const [what, stallMs] of [
    ['a fast client', 0],
    ['a client that stalls after every chunk', 3],
  ] as const) {
    it(`sends every instance byte-identical to ${what}`, async () => {
      const res = await get(`${server.dicomweb}/studies/${STUDY}`, stallMs);
      expectWholeStudy(res);
    }, 120_000);
  }

  it('sends every instance byte-identical to two clients at once after one gave up half-way', async () => {
    await abandonAfter(`${server.dicomweb}/studies/${STUDY}`, 3 * DEFAULT_SLAB_BYTES);
    const [slow, fast] = await Promise.all([
      get(`${server.dicomweb}/studies/${STUDY}`, 2),
      get(`${server.dicomweb}/studies/${STUDY}`, 0),
    ]);
    expectWholeStudy(slow);
    expectWholeStudy(fast);
  }, 120_000);

  it('sends each part header together with its instance (one HTTP chunk per part, not two)', async () => {
    const { chunks, body, contentType } = await getChunked(`${server.dicomweb}/studies/${STUDY}`);
    expectWholeStudy({ status: 200, contentType, body });
    // Two per part before (header, then the instance); a few may still go apart (no slab free).
    expect(chunks).toBeGreaterThan(files.length);
    expect(chunks).toBeLessThan(files.length * 1.1);
  }, 120_000);

  function expectWholeStudy(res: { status: number; contentType: string; body: Buffer }): void {
    expect(res.status).toBe(200);
    const parts = splitMultipart(res.body, res.contentType);
    expect(parts).toHaveLength(files.length);
    // Each part is one stored file exactly (the retrieve's order is the index's, not the upload's).
    const seen = new Set<number>();
    for (const part of parts) {
      const k = files.findIndex((f) => f.equals(part.data));
      expect(k).toBeGreaterThanOrEqual(0);
      seen.add(k);
    }
    expect(seen.size).toBe(files.length);
  }
});

/** GET that closes the connection once `bytes` of the body have arrived; resolves with what came. */
function abandonAfter(url: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: ACCEPT } }, (res) => {
      let got = 0;
      res.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got >= bytes) {
          req.destroy();
          resolve(got);
        }
      });
      res.once('end', () => reject(new Error(`the whole body (${got} bytes) came before ${bytes}`)));
    });
    req.once('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end();
  });
}

/** GET over a bare socket (HTTP/1.1, Connection: close): the chunked body decoded, its chunks counted. */
function getChunked(url: string): Promise<{ chunks: number; body: Buffer; contentType: string }> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const got: Buffer[] = [];
    socket.on('data', (b: Buffer) => got.push(b));
    socket.once('error', reject);
    socket.once('end', () => {
      const raw = Buffer.concat(got);
      const headEnd = raw.indexOf('\r\n\r\n');
      const head = raw.subarray(0, headEnd).toString('latin1');
      if (!/^HTTP\/1\.1 200/.test(head) || !/transfer-encoding: chunked/i.test(head))
        return reject(new Error(`not a chunked 200: ${head.slice(0, 300)}`));
      const contentType = /content-type: ([^\r\n]+)/i.exec(head)![1]!;
      const bodies: Buffer[] = [];
      let at = headEnd + 4;
      for (;;) {
        const eol = raw.indexOf('\r\n', at);
        const size = Number.parseInt(raw.subarray(at, eol).toString('latin1'), 16);
        if (!(size >= 0)) return reject(new Error(`bad chunk size at ${at}`));
        if (size === 0) break;
        bodies.push(raw.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
      resolve({ chunks: bodies.length, body: Buffer.concat(bodies), contentType });
    });
    socket.write(
      `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: ${ACCEPT}\r\nConnection: close\r\n\r\n`,
    );
  });
}
