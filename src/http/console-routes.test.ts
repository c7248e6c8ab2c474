import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, consoleConfig, registerConsoleRoutes } from './console-routes.js';
import { errorHandler, notFoundHandler } from './errors.js';

describe('the web console routes', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
    app = Fastify();
    app.setErrorHandler(errorHandler);
    app.setNotFoundHandler(notFoundHandler);
    registerConsoleRoutes(app, {
      root: dir,
      config: consoleConfig('smart', 'http://127.0.0.1:8080', 'http://127.0.0.1:8080/oauth'),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and for client-side routes, not cached, with the security headers', async () => {
    for (const url of ['/', '/patients/123', '/audit?x=1', '/studies/1.2.840.10008.1?series=1.2.3']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('<title>console</title>');
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
  });

  it('serves hashed assets as immutable, and a missing asset as a 404', async () => {
    const res = await app.inject({ url: '/assets/index-AbC123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ url: '/assets/index-old.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/favicon.png' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/../package.json' })).statusCode).toBe(404);
  });

  it('leaves unknown API paths a 404 OperationOutcome', async () => {
    for (const url of ['/api/nothing', '/fhir/x/y/z', '/dicomweb/nope', '/oauth/x']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().resourceType).toBe('OperationOutcome');
      expect(res.json().issue[0].diagnostics).toBe(`no route for GET ${url}`);
    }
  });

  it('answers a malformed path with 400 and a missing asset with 404', async () => {
    expect((await app.inject({ url: '/%E0%A4%A' })).statusCode).toBe(400);
    const missing = await app.inject({ url: '/assets/index-Old999.js' });
    expect([missing.statusCode, missing.json().issue[0].diagnostics]).toEqual([404, 'no file /assets/index-Old999.js']);
  });

  it('tells the browser how to sign in: the public client, PKCE endpoints and the redirect URI', async () => {
    const res = await app.inject({ url: '/api/console/config' });
    expect(res.json()).toEqual({
      auth: 'smart',
      clientId: 'imaging-bridge-console',
      scope: 'openid fhirUser profile user/*.rs',
      authorizeUrl: 'http://127.0.0.1:8080/oauth/auth',
      tokenUrl: 'http://127.0.0.1:8080/oauth/token',
      redirectUri: 'http://127.0.0.1:8080/auth/callback',
      fhirBase: 'http://127.0.0.1:8080/fhir',
    });
    expect(consoleConfig('none', 'http://x')).toEqual({ auth: 'none' });
  });

  it('says how to build the console when it is not built', async () => {
    const bare = Fastify();
    registerConsoleRoutes(bare, { root: join(dir, 'missing'), config: { auth: 'none' } });
    const res = await bare.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await bare.close();
  });
});
