/**
 * Users and OAuth clients over HTTP (/api/admin/users, /api/admin/clients): administrators only,
 * the CLI's validation, never a password or secret hash in an answer, a generated client secret
 * returned once and usable at the token endpoint, every change audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenEndpoint } from '../support/smart.js';
import { type SmartBench, startSmartBench } from './harness.js';

const JSON_TYPE = { 'content-type': 'application/json' };

describe('the users and clients admin API', () => {
  let bench: SmartBench;

  beforeAll(async () => {
    bench = await startSmartBench({ demo: false });
  }, 120_000);
  afterAll(() => bench?.stop());

  const call = (method: string, path: string, body?: unknown, token = bench.admin) =>
    bench.request(method, path, token, body, body === undefined ? {} : JSON_TYPE);

  it('adds, lists and removes a user with the rules of the CLI, never showing the password hash', async () => {
    const before = bench.auditHead();
    const added = await call('POST', '/api/admin/users', {
      username: 'nina',
      password: 'long enough pw',
      role: 'clinician',
      fhirUser: 'Practitioner/17',
    });
    expect(added.status, added.text).toBe(201);
    expect(added.body).toMatchObject({ username: 'nina', role: 'clinician', fhirUser: 'Practitioner/17' });
    const listed = await call('GET', '/api/admin/users');
    expect(listed.body.users.map((u: { username: string }) => u.username)).toContain('nina');
    expect(listed.text).not.toMatch(/scrypt|password/i);

    const again = await call('POST', '/api/admin/users', {
      username: 'nina',
      password: 'long enough pw',
      role: 'clinician',
    });
    expect(again.status).toBe(409);
    for (const [body, field] of [
      [{ username: 'bad name!', password: 'long enough pw', role: 'clinician' }, 'username'],
      [{ username: 'ok', password: 'short', role: 'clinician' }, 'password'],
      [{ username: 'ok', password: 'long enough pw', role: 'ai-service' }, 'role'],
      [{ username: 'ok', password: 'long enough pw', role: 'clinician', fhirUser: 'nope' }, 'fhirUser'],
      [{ username: 'ok', role: 'clinician' }, 'password'],
      [{ username: 7, password: 'long enough pw', role: 'clinician' }, 'username'],
    ] as const) {
      const refused = await call('POST', '/api/admin/users', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.issue[0].expression).toEqual([field]);
    }
    expect((await call('GET', '/api/admin/users')).body.users.map((u: { username: string }) => u.username)).toEqual([
      'nina',
    ]);

    expect((await call('DELETE', '/api/admin/users/nina')).status).toBe(204);
    expect((await call('DELETE', '/api/admin/users/nina')).status).toBe(404);
    const changes = bench
      .auditSince(before)
      .filter((e) => JSON.stringify(e).includes('nina') && e.outcome === '0')
      .map((e) => e.subtype?.map((s: { code: string }) => s.code).join(','));
    expect(changes.join(' ')).toMatch(/user-added/);
    expect(changes.join(' ')).toMatch(/user-removed/);
  });

  it('registers a client with a generated secret shown once, which then obtains a token', async () => {
    const added = await call('POST', '/api/admin/clients', {
      clientId: 'etl-job',
      scope: 'system/Patient.rs',
      role: 'ai-service',
      generateSecret: true,
    });
    expect(added.status, added.text).toBe(201);
    expect(added.headers.get('cache-control')).toBe('no-store');
    const secret = added.body.secret as string;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(added.body.client).toMatchObject({ clientId: 'etl-job', auth: 'client_secret_basic', role: 'ai-service' });
    const listed = await call('GET', '/api/admin/clients');
    expect(listed.text).not.toContain(secret);
    expect(listed.text).not.toContain('scrypt');
    expect(listed.body.clients.map((c: { clientId: string }) => c.clientId)).toContain('etl-job');

    const token = await fetch(await tokenEndpoint(bench.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`etl-job:${secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/Patient.rs' }),
    });
    expect(token.status).toBe(200);

    expect((await call('DELETE', '/api/admin/clients/etl-job')).status).toBe(204);
    expect((await call('DELETE', '/api/admin/clients/etl-job')).status).toBe(404);
  });

  it('refuses a caller-chosen secret, a bad scope, missing credentials and removing the console client', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ clientId: 'x', scope: 'system/Patient.rs', secret: 'a-secret-chosen-by-me' }, 'secret'],
      [{ clientId: 'x', scope: 'everything', generateSecret: true }, 'scope'],
      [{ clientId: 'x', scope: 'system/Patient.rs' }, 'jwks'],
      [{ clientId: 'x', scope: 'system/Patient.rs', jwks: { keys: [{ kty: 'EC', d: 'private' }] } }, 'jwks'],
      [{ clientId: 'x', scope: 'user/*.rs', redirectUris: ['http://example.org/cb'] }, 'redirectUris'],
    ];
    for (const [body, field] of cases) {
      const refused = await call('POST', '/api/admin/clients', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.issue[0].expression).toEqual([field]);
    }
    expect((await call('GET', '/api/admin/clients')).body.clients.map((c: { clientId: string }) => c.clientId)).toEqual(
      ['imaging-bridge-console'],
    );
    expect((await call('DELETE', '/api/admin/clients/imaging-bridge-console')).status).toBe(409);
  });

  it('refuses everyone but administrators', async () => {
    const steward = await bench.token({ scope: 'user/*.cruds', roles: ['imaging-steward'] });
    for (const [method, path] of [
      ['GET', '/api/admin/users'],
      ['POST', '/api/admin/users'],
      ['GET', '/api/admin/clients'],
      ['DELETE', '/api/admin/clients/imaging-bridge-console'],
    ] as const) {
      const res = await call(method, path, method === 'POST' ? {} : undefined, steward);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect((await call('GET', '/api/admin/users')).body.users).toEqual([]);
  });
});
