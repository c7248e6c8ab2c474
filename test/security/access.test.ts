/**
 * Authorization end to end on the demo data, with real signed JWTs from an external identity
 * provider (security.externalIssuers with an inline JWKS) and from our own token endpoint:
 * patient-bound tokens see one patient over DICOMweb and FHIR, the context API leaves out the
 * sections outside the token's scopes, AuditEvents are administrator-only and every access
 * leaves exactly its audit records, in a chain that verifies and detects an edited record.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../support/wait.js';
import type { Json } from '../support/http.js';
import { ctInstance } from '../../src/dicom/test-support.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { multipartBody } from '../support/multipart.js';
import { accessToken, registerClient, runCli } from '../support/smart.js';
import { AUDIENCE, ISSUER, signToken, type TokenClaims } from './harness.js';

const FAST_BRIDGE = { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 };

describe('scopes, patient compartments and the audit trail (--auth smart)', () => {
  let server: TestServer;
  let idpKey: CryptoKey;
  let admin: string;
  let patientId: string;
  let ownStudies: string[];
  let otherStudy: string;

  /** A token from the hospital IdP with these claims. */
  const idpToken = (claims: TokenClaims) => signToken(idpKey, claims);

  const get = async (path: string, token: string, accept?: string) => {
    const res = await fetch(server.url + path, {
      headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) },
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
  };
  const auditRows = () => {
    const db = new Database(join(server.dataDir, 'audit.sqlite'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM audit_record').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    idpKey = privateKey;
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256' };
    server = await startTestServer(
      { auth: 'smart', demo: 'true' },
      {
        configFile: {
          bridge: FAST_BRIDGE,
          security: {
            externalIssuers: [
              {
                issuer: ISSUER,
                jwks: { keys: [jwk] },
                audience: AUDIENCE,
                roleMap: { 'imaging-admin': 'administrator' },
              },
            ],
          },
        },
      },
    );
    admin = await idpToken({ scope: 'user/*.cruds', roles: ['imaging-admin'] });
    // A demo patient with imaging, once the bridge has written the demo studies.
    const studies = await waitFor(
      async () => {
        const r = await get('/fhir/ImagingStudy?_count=200', admin);
        return (r.body.entry?.length ?? 0) >= 4 ? (r.body.entry as Json[]).map((e) => e.resource) : undefined;
      },
      { timeoutMs: 60_000, what: 'demo ImagingStudies' },
    );
    patientId = studies[0].subject.reference.split('/')[1];
    const uid = (s: Json) =>
      (s.identifier as Json[]).find((i) => i.system === 'urn:dicom:uid').value.slice('urn:oid:'.length);
    ownStudies = studies.filter((s: Json) => s.subject.reference === `Patient/${patientId}`).map(uid);
    otherStudy = uid(studies.find((s: Json) => s.subject.reference !== `Patient/${patientId}`));
  }, 120_000);
  afterAll(() => server?.stop());

  it('gives a patient-bound token only its patient over QIDO-RS and WADO-RS, and no STOW-RS', async () => {
    const token = await idpToken({ scope: 'patient/ImagingStudy.rs patient/Patient.r', patient: patientId });
    const all = await get('/dicomweb/studies', admin);
    const mine = await get('/dicomweb/studies', token);
    expect(mine.status).toBe(200);
    const uids = (mine.body as Json[]).map((s) => s['0020000D'].Value[0]).sort();
    expect(uids).toEqual([...ownStudies].sort());
    expect((all.body as Json[]).length).toBeGreaterThan(uids.length);
    expect((await get(`/dicomweb/studies?StudyInstanceUID=${otherStudy}`, token)).body).toEqual([]);
    expect((await get(`/dicomweb/studies/${ownStudies[0]}/metadata`, token)).status).toBe(200);
    const refused = await get(`/dicomweb/studies/${otherStudy}/metadata`, token);
    expect(refused.status).toBe(403);
    expect(refused.body.resourceType).toBe('OperationOutcome');
    const { body, contentType } = multipartBody([ctInstance({ study: '1.2.826.0.1.3680043.10.1456.88.901' })]);
    const stow = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
    });
    expect(stow.status).toBe(403);
  });

  it('keeps a patient-bound token inside its compartment on FHIR', async () => {
    const token = await idpToken({ scope: 'patient/*.rs', patient: patientId });
    const obs = await get('/fhir/Observation?_count=500', token);
    expect(obs.status).toBe(200);
    expect(obs.body.entry.length).toBeGreaterThan(0);
    for (const e of obs.body.entry as Json[]) expect(e.resource.subject.reference).toBe(`Patient/${patientId}`);
    const other = await get('/fhir/Patient?_count=50', admin);
    const otherId = (other.body.entry as Json[]).map((e) => e.resource.id).find((id: string) => id !== patientId);
    expect((await get(`/fhir/Patient/${otherId}`, token)).status).toBe(403);
    expect((await get(`/fhir/Patient/${patientId}`, token)).status).toBe(200);
  });

  it('leaves out the context sections outside the token scopes and lists them as denied', async () => {
    const token = await idpToken({ scope: 'user/Patient.r user/Condition.rs' });
    const r = await get(`/api/context?patient=${patientId}&include=conditions,observations`, token);
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body.conditions)).toBe(true);
    expect(r.body.observations ?? null).toBeNull();
    expect((r.body.sources as Json[]).some((s) => s.section === 'observations' && s.status === 'denied')).toBe(true);
    expect(
      (await get(`/api/context?patient=${patientId}`, await idpToken({ scope: 'user/Condition.rs' }))).status,
    ).toBe(403);
  });

  it('shows AuditEvents to administrators only, searchable by patient, date, outcome and policy (token jti)', async () => {
    expect((await get('/fhir/AuditEvent', await idpToken({ scope: 'user/*.rs' }))).status).toBe(403);
    const since = new Date(Date.now() - 60_000).toISOString();
    const found = await waitFor(
      async () => {
        const r = await get(`/fhir/AuditEvent?patient=Patient/${patientId}&date=ge${since}&_count=100`, admin);
        return r.status === 200 && (r.body.entry?.length ?? 0) > 0 ? r.body.entry : undefined;
      },
      { timeoutMs: 20_000, what: 'AuditEvents of the patient' },
    );
    expect(found.length).toBeGreaterThan(0); // the FHIR copy is asynchronous: at least the first ones are searchable
    const denied = await waitFor(
      async () => {
        const r = await get(`/fhir/AuditEvent?outcome=4&date=ge${since}`, admin);
        return (r.body.entry?.length ?? 0) > 0 ? r.body.entry : undefined;
      },
      { timeoutMs: 20_000, what: 'AuditEvents of refused accesses' },
    );
    expect(denied.length).toBeGreaterThan(0);
  });

  it('writes exactly one record per access (allowed, refused or unauthenticated), in a chain that verifies', async () => {
    const token = await idpToken({ scope: 'user/ImagingStudy.rs user/Observation.rs' });
    await new Promise((r) => setTimeout(r, 300)); // token issuance and earlier accesses are recorded
    const before = auditRows();
    const accesses: [string, string | undefined][] = [
      ['/dicomweb/studies?Modality=CT', token], // QIDO (no patient named): one record
      ['/dicomweb/studies?Modality=MR', token],
      ['/fhir/Observation?code=http://loinc.org|8867-4&_count=1', token], // search naming no patient
      ['/fhir/Condition?_count=1', token], // 403: no Condition scope
      ['/dicomweb/studies', undefined], // 401
      ['/fhir/Observation', 'not-a-token'], // 401
      ['/api/quarantine', token], // 403: not a data steward
    ];
    for (const [path, t] of accesses) {
      const res = await fetch(server.url + path, t ? { headers: { authorization: `Bearer ${t}` } } : {});
      await res.arrayBuffer();
    }
    expect(auditRows() - before).toBe(accesses.length);
    const verify = await runCli(['audit', 'verify', '--data-dir', server.dataDir]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/OK/);
  });

  it('records client registration (from the CLI) and the tokens issued, naming the client', async () => {
    const client = await registerClient(server.dataDir, 'audited-ai-tool', 'system/ImagingStudy.rs');
    await accessToken(server.url, client, 'system/ImagingStudy.rs');
    const db = new Database(join(server.dataDir, 'audit.sqlite'), { readonly: true });
    try {
      const rows = await waitFor(
        async () => {
          const r = db.prepare("SELECT json FROM audit_record WHERE json LIKE '%audited-ai-tool%'").all() as {
            json: string;
          }[];
          return r.length >= 2 ? r : undefined;
        },
        { timeoutMs: 10_000, what: 'the registration (by the CLI) and token issuance records' },
      );
      const events = rows.map((r) => JSON.parse(r.json) as Json);
      const types = events.map((e) => e.type.code);
      expect(types).toContain('110114'); // User Authentication: the token issued
      expect(types.some((t: string) => t !== '110114')).toBe(true); // the configuration change
      for (const e of events) expect(e).toMatchObject({ resourceType: 'AuditEvent', outcome: '0' });
    } finally {
      db.close();
    }
  });
});
