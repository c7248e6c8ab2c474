/**
 * Finding 13 (authentication): a `user/` scope granted whatever it named, whatever the person's
 * role: a clinician signed in to an app registered with `user/*.cruds` could delete patients.
 * Now a person's `user/` scopes grant no more than the role's row of USER_SCOPES_BY_ROLE
 * (src/auth/role-scopes.ts, docs/security.md), for our tokens and for an external IdP's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/security/oauth/client-store.js';
import { openSecurityDb } from '../../src/security/oauth/sqlite-security-store.js';
import { UserStore } from '../../src/security/oauth/user-store.js';
import { startSmartBench, type SmartBench } from './harness.js';

let bench: SmartBench;
let patientId: string;

beforeAll(async () => {
  bench = await startSmartBench({ demo: false });
  const created = await bench.request('POST', '/fhir/Patient', bench.admin, {
    resourceType: 'Patient',
    name: [{ family: 'Role' }],
  });
  expect(created.status).toBe(201);
  patientId = created.body.id;
}, 120_000);

afterAll(() => bench?.stop());

const observation = () => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'note' },
  subject: { reference: `Patient/${patientId}` },
});

describe('user/ scopes are limited by the role', () => {
  it('a clinician with user/*.cruds reads, writes an Observation, but cannot change or delete a Patient', async () => {
    const head = bench.auditHead();
    const clinician = await bench.token({ scope: 'user/*.cruds', roles: ['clinician'], sub: 'dr-c' });
    expect((await bench.get(`/fhir/Patient/${patientId}`, clinician)).status).toBe(200);
    expect((await bench.request('POST', '/fhir/Observation', clinician, observation())).status).toBe(201);
    const del = await bench.request('DELETE', `/fhir/Patient/${patientId}`, clinician);
    expect(del.status).toBe(403);
    expect(del.body.resourceType).toBe('OperationOutcome');
    expect(
      (
        await bench.request('PUT', `/fhir/Patient/${patientId}`, clinician, {
          resourceType: 'Patient',
          id: patientId,
          name: [{ family: 'Changed' }],
        })
      ).status,
    ).toBe(403);
    expect((await bench.request('POST', '/fhir/Patient', clinician, { resourceType: 'Patient' })).status).toBe(403);
    // The refusals are audited as failures of that user.
    const refused = bench.auditSince(head).filter((r) => r.outcome !== '0' && JSON.stringify(r.agent).includes('dr-c'));
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect((await bench.get(`/fhir/Patient/${patientId}`, bench.admin)).body.name[0].family).toBe('Role');
  });

  it('a radiologist writes DiagnosticReports but not ServiceRequests; a person without a role only reads', async () => {
    const radiologist = await bench.token({ scope: 'user/*.cruds', roles: ['radiologist'] });
    const report = {
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { text: 'CT head' },
      subject: { reference: `Patient/${patientId}` },
    };
    expect((await bench.request('POST', '/fhir/DiagnosticReport', radiologist, report)).status).toBe(201);
    expect(
      (
        await bench.request('POST', '/fhir/ServiceRequest', radiologist, {
          resourceType: 'ServiceRequest',
          status: 'active',
          intent: 'order',
          subject: { reference: `Patient/${patientId}` },
        })
      ).status,
    ).toBe(403);
    const nobody = await bench.token({ scope: 'user/*.cruds' });
    expect((await bench.get('/fhir/Observation', nobody)).status).toBe(200);
    expect((await bench.request('POST', '/fhir/Observation', nobody, observation())).status).toBe(403);
  });

  it('inside a batch too: each entry is judged with the limited scopes', async () => {
    const clinician = await bench.token({ scope: 'user/*.cruds', roles: ['clinician'] });
    const res = await bench.request('POST', '/fhir', clinician, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'DELETE', url: `Patient/${patientId}` } },
        { request: { method: 'GET', url: `Patient/${patientId}` } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status.slice(0, 3))).toEqual(['403', '200']);
  });

  it('our authorization server grants a clinician no more than the role allows, and says so in the token', async () => {
    const db = openSecurityDb(bench.server.dataDir);
    try {
      await new ClientStore(db).add({
        clientId: 'admin-app',
        scope: 'openid user/*.cruds',
        redirectUris: [`${bench.url}/cb`],
      });
      await new UserStore(db).add({ username: 'carla', password: 'clinician passphrase', role: 'clinician' });
    } finally {
      await db.close();
    }
    const cookies = new Map<string, string>();
    const browse = async (url: string, form?: Record<string, string>) => {
      const headers: Record<string, string> = { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
      if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(new URL(url, bench.url), {
        method: form ? 'POST' : 'GET',
        headers,
        body: form ? new URLSearchParams(form) : undefined,
        redirect: 'manual',
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
      }
      return res;
    };
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const query = new URLSearchParams({
      client_id: 'admin-app',
      response_type: 'code',
      redirect_uri: `${bench.url}/cb`,
      scope: 'openid user/Patient.rs user/Patient.cruds user/Observation.cruds',
      state: 's',
      aud: `${bench.url}/fhir`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    let res = await browse(`/oauth/auth?${query}`);
    const login = res.headers.get('location')!;
    res = await browse(`${login}/login`, { username: 'carla', password: 'clinician passphrase' });
    expect(res.status).toBe(303);
    res = await browse(res.headers.get('location')!);
    const consent = res.headers.get('location')!;
    res = await browse(`${consent}/confirm`, {});
    res = await browse(res.headers.get('location')!);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    expect(code).toBeTruthy();
    const tokenRes = await fetch(`${bench.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${bench.url}/cb`,
        client_id: 'admin-app',
        code_verifier: verifier,
      }),
    });
    const token = (await tokenRes.json()) as { access_token: string; scope?: string };
    expect(tokenRes.status).toBe(200);
    const granted = (token.scope ?? '').split(' ');
    // A requested user/ scope is granted only when the role allows all of it (oidc-provider
    // grants only scopes that were requested, so a wider one is dropped, not narrowed).
    expect(granted.filter((s) => s.startsWith('user/'))).toEqual(['user/Patient.rs']);
    // Whatever the token says, a clinician's token cannot delete a Patient.
    expect((await bench.request('DELETE', `/fhir/Patient/${patientId}`, token.access_token)).status).toBe(403);
  }, 120_000);

  it('the administrator keeps full access', async () => {
    expect((await bench.request('POST', '/fhir/Patient', bench.admin, { resourceType: 'Patient' })).status).toBe(201);
  });
});
