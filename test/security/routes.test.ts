/**
 * The route matrix: every route the running server registered (read from its router at run
 * time) answers 401 without a token and 403 with a token whose scopes and role do not cover
 * it. Public routes must come from the explicit allow-list below, so a new route without a
 * policy (or one marked public by mistake) fails here. The matrix is served in process (inject):
 * a socket adds nothing to what the access rules answer.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteRule } from '../../src/http/security/access-control.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { accessToken, registerClient } from '../support/smart.js';

type InjectMethod = NonNullable<InjectOptions['method']>;

const PUBLIC_ALLOW_LIST = [
  /^\/health$/,
  /^\/\.well-known\//,
  /^\/fhir\/\.well-known\//,
  /^\/fhir\/metadata$/,
  /^\/oauth(\/|$)/,
  // The web console: its static files (index.html for client-side routes) and its start-up configuration.
  /^\/\*$/,
  /^\/api\/console\/config$/,
];

/** A concrete request for a route pattern: parameters filled with harmless values. */
function sample(rule: RouteRule): { method: string; path: string; body?: string; contentType?: string } {
  const fill = (url: string) =>
    url
      .replace(':study', '1.2.840.99.1')
      .replace(':series', '1.2.840.99.2')
      .replace(':instance', '1.2.840.99.3')
      .replace(':frames', '1')
      .replace(/:[a-zA-Z]+/g, 'x')
      .replace('*', rule.url.startsWith('/fhir') ? 'Observation' : 'x');
  if (rule.url === '/fhir' && rule.method === 'POST') {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    return { method: 'POST', path: '/fhir', body: JSON.stringify(bundle), contentType: 'application/fhir+json' };
  }
  const body = ['POST', 'PUT', 'PATCH'].includes(rule.method) ? '{}' : undefined;
  return {
    method: rule.method,
    path: fill(rule.url),
    ...(body ? { body, contentType: rule.url.startsWith('/fhir') ? 'application/fhir+json' : 'application/json' } : {}),
  };
}

describe('every route has a policy: 401 without a token, 403 with an insufficient one', () => {
  let server: TestServer;
  let weakToken: string;
  let protectedRoutes: RouteRule[];

  beforeAll(async () => {
    server = await startTestServer({ auth: 'smart' });
    const weak = await registerClient(server.dataDir, 'weak-client', 'system/Practitioner.rs', [
      '--role',
      'ai-service',
    ]);
    weakToken = await accessToken(server.url, weak, 'system/Practitioner.rs');
    protectedRoutes = server.routes().filter((r) => r.access.kind !== 'public');
  }, 120_000);
  afterAll(() => server?.stop());

  it('finds the routes at run time, and public ones only on the allow-list', () => {
    const routes = server.routes();
    expect(routes.length).toBeGreaterThan(30);
    const publicOnes = routes.filter((r) => r.access.kind === 'public');
    for (const r of publicOnes)
      expect(
        PUBLIC_ALLOW_LIST.some((p) => p.test(r.url)),
        `${r.method} ${r.url} is public but not on the allow-list`,
      ).toBe(true);
    for (const family of [
      '/dicomweb/studies',
      '/fhir/*',
      '/api/context',
      '/api/ai-results',
      '/api/quarantine',
      '/api/data-quality',
    ]) {
      expect(
        protectedRoutes.some((r) => r.url === family),
        `${family} is protected`,
      ).toBe(true);
    }
  });

  it('answers 401 with WWW-Authenticate: Bearer on each protected route without a token', async () => {
    const failures: string[] = [];
    for (const rule of protectedRoutes) {
      const s = sample(rule);
      const res = await server.inject({
        method: s.method as InjectMethod,
        url: s.path,
        headers: s.contentType ? { 'content-type': s.contentType } : {},
        payload: s.body,
      });
      if (res.statusCode !== 401 || !/^Bearer /.test(String(res.headers['www-authenticate'] ?? '')))
        failures.push(`${s.method} ${s.path}: ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 401 for a malformed, forged or other-scheme token', async () => {
    for (const authorization of ['Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', `Bearer ${weakToken.slice(0, -4)}AAAA`]) {
      const res = await fetch(`${server.dicomweb}/studies`, { headers: { authorization } });
      expect(res.status, authorization.slice(0, 12)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="(invalid_token|invalid_request)"/);
    }
  });

  it('answers 403 OperationOutcome on each protected route for a token without the needed scope or role', async () => {
    const failures: string[] = [];
    for (const rule of protectedRoutes) {
      const s = sample(rule);
      const headers: Record<string, string> = { authorization: `Bearer ${weakToken}` };
      if (s.contentType) headers['content-type'] = s.contentType;
      const res = await server.inject({ method: s.method as InjectMethod, url: s.path, headers, payload: s.body });
      const text = res.body;
      // The FHIR router serves no interaction for some method/path pairs (PATCH on a type, PUT on
      // the base): 405 there gives nothing away, whatever the token.
      if (
        res.statusCode === 405 &&
        rule.url.startsWith('/fhir') &&
        (s.method === 'HEAD' || text.includes('is not allowed on'))
      )
        continue;
      if (res.statusCode !== 403) failures.push(`${s.method} ${s.path}: ${res.statusCode} ${text.slice(0, 160)}`);
      else if (s.method !== 'HEAD' && !text.includes('OperationOutcome'))
        failures.push(`${s.method} ${s.path}: 403 without an OperationOutcome`);
    }
    expect(failures).toEqual([]);
  });
});
