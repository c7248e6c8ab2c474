/**
 * HTTPS: with --tls-cert / --tls-key the HTTP port speaks TLS 1.2+ only, sends HSTS, and the
 * public URL (OAuth metadata, RetrieveURLs) is https. Certificates made with the openssl CLI.
 */
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { opensslAvailable, selfSignedCertificate } from '../support/openssl.js';

function get(
  url: string,
  ca: Buffer,
  opts: { maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; minVersion?: 'TLSv1' | 'TLSv1.1' } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, ...opts }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!opensslAvailable())('HTTPS with a configured certificate', () => {
  let server: TestServer;
  let cert: Buffer;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-https-'));
    const made = selfSignedCertificate(dir);
    cert = made.cert;
    server = await startTestServer({
      auth: 'smart',
      'tls-cert': made.certFile,
      'tls-key': made.keyFile,
    });
  });
  afterAll(() => server?.stop());

  it('serves over TLS with HSTS and builds https URLs', async () => {
    expect(server.url).toMatch(/^https:\/\//);
    const health = await get(`${server.url}/health`, cert);
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    const smart = JSON.parse((await get(`${server.url}/.well-known/smart-configuration`, cert)).body);
    expect(smart.token_endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/oauth\/token$/);
    expect((await get(`${server.url}/dicomweb/studies`, cert)).status).toBe(401);
  });

  it('refuses TLS 1.1 and plain HTTP', async () => {
    await expect(get(`${server.url}/health`, cert, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).rejects.toThrow();
    await expect(fetch(`${server.url.replace('https:', 'http:')}/health`)).rejects.toThrow();
  });
});
