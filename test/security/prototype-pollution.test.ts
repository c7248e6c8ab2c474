/**
 * Finding 1 (critical): prototype pollution through FHIR PATCH. A patient-bound token PATCHing
 * its own Patient with `/__proto__/rs` used to poison Object.prototype for the whole process, so
 * that the SMART scope tables read the injected key and `system/ImagingStudy.rs` could create.
 * Here `__proto__`, `constructor` and `prototype` go through every JSON input of a real server
 * (FHIR bodies, PATCH, batch/transaction, AI results, query strings, the config file, the
 * token endpoint's scope) and the built-in prototypes must stay untouched, with the scopes
 * meaning what they say afterwards.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.js';
import { accessToken, registerClient, requestToken } from '../support/smart.js';
import { prototypesClean, startSmartBench, type SmartBench } from './harness.js';

const KEYS = ['__proto__', 'constructor', 'prototype'];
const PATCH = { 'content-type': 'application/json-patch+json' };

describe('prototype pollution through JSON inputs (--auth smart)', () => {
  let bench: SmartBench;
  let patientId: string;
  let patientToken: string;

  beforeAll(async () => {
    bench = await startSmartBench();
    const [first] = await bench.patientsWithImaging(1);
    patientId = first.patientId;
    patientToken = await bench.token({ scope: 'patient/*.cruds launch/patient', patient: patientId });
  }, 180_000);
  afterAll(() => bench?.stop());

  /** After any attack: the prototypes are clean and a read-only client still cannot write. */
  async function scopesStillHold(): Promise<void> {
    expect(prototypesClean()).toBe(true);
    const readOnly = await bench.token({ scope: 'system/ImagingStudy.rs', client: 'ai-viewer', sub: 'ai-viewer' });
    const create = await bench.request('POST', '/fhir/ImagingStudy', readOnly, {
      resourceType: 'ImagingStudy',
      status: 'available',
      subject: { reference: `Patient/${patientId}` },
    });
    expect(create.status).toBe(403);
    expect(create.body.resourceType).toBe('OperationOutcome');
  }

  it('refuses a patient token PATCHing its own Patient through __proto__, constructor or prototype, and records the refusal', async () => {
    const attacks = [
      [{ op: 'add', path: '/__proto__/rs', value: 'cruds' }],
      [{ op: 'add', path: '/__proto__/patientRestriction', value: 'nobody' }],
      [{ op: 'replace', path: '/constructor/prototype/rs', value: 'cruds' }],
      [{ op: 'add', path: '/name/0/__proto__/rs', value: 'cruds' }],
      [{ op: 'add', path: '/constructor/rs', value: 'cruds' }],
      [{ op: 'copy', from: '/__proto__', path: '/extension' }],
      [
        { op: 'test', path: '/id', value: patientId },
        { op: 'add', path: '/prototype/rs', value: 'cruds' },
      ],
    ];
    for (const ops of attacks) {
      const before = bench.auditHead();
      const r = await bench.request('PATCH', `/fhir/Patient/${patientId}`, patientToken, ops, PATCH);
      expect(r.status, JSON.stringify(ops)).toBe(400);
      expect(r.body.resourceType).toBe('OperationOutcome');
      const refused = bench
        .auditSince(before)
        .filter((e) => e.outcome !== '0' && JSON.stringify(e.entity ?? []).includes(`Patient/${patientId}`));
      expect(refused.length, `audit record of ${JSON.stringify(ops)}`).toBeGreaterThan(0);
      expect(prototypesClean()).toBe(true);
    }
    // The Patient is unchanged: nothing of a refused patch was kept.
    const now = await bench.get(`/fhir/Patient/${patientId}`, bench.admin);
    expect(now.status).toBe(200);
    expect(now.body.meta.versionId).toBe('1');
    await scopesStillHold();
  });

  it('keeps the prototypes clean through FHIR create and update bodies, top-level and nested', async () => {
    for (const key of KEYS) {
      const payload = `{"rs":"cruds","polluted":true}`;
      const bodies = [
        `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/${patientId}"},"${key}":${payload}}`,
        `{"resourceType":"Observation","status":"final","code":{"text":"x","${key}":${payload}},"subject":{"reference":"Patient/${patientId}"}}`,
        `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"s","code":"c","${key}":${payload}}]},"subject":{"reference":"Patient/${patientId}"}}`,
      ];
      for (const body of bodies) {
        const created = await bench.request('POST', '/fhir/Observation', bench.admin, body);
        expect(created.status, body).toBe(400);
        expect(created.body.resourceType).toBe('OperationOutcome');
        const updated = await bench.request(
          'PUT',
          `/fhir/Patient/${patientId}`,
          patientToken,
          `{"resourceType":"Patient","id":"${patientId}","${key}":${payload}}`,
        );
        expect(updated.status).toBe(400);
        expect(prototypesClean()).toBe(true);
      }
    }
    await scopesStillHold();
  });

  it('keeps the prototypes clean through batch and transaction bodies (resources and Binary patches)', async () => {
    const patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/__proto__/rs', value: 'cruds' }])).toString(
      'base64',
    );
    for (const type of ['batch', 'transaction']) {
      const body = `{"resourceType":"Bundle","type":"${type}","__proto__":{"rs":"cruds"},"entry":[
        {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/${patientId}"},"__proto__":{"rs":"cruds"}},"request":{"method":"POST","url":"Observation","__proto__":{"rs":"cruds"}}},
        {"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"${patch}"},"request":{"method":"PATCH","url":"Patient/${patientId}"}},
        {"request":{"method":"constructor","url":"Patient/${patientId}"}},
        {"request":{"method":"__proto__","url":"Patient"}}]}`;
      const r = await bench.request('POST', '/fhir', patientToken, body);
      expect([200, 400]).toContain(r.status);
      if (r.status === 200) for (const e of r.body.entry) expect(e.response.status).toMatch(/^4/);
      expect(prototypesClean()).toBe(true);
    }
    await scopesStillHold();
  });

  it('keeps the prototypes clean through POST /api/ai-results', async () => {
    const [{ studies }] = await bench.patientsWithImaging(1);
    for (const key of KEYS) {
      const body = `{"studyInstanceUid":"${studies[0]}","${key}":{"rs":"cruds"},"model":{"name":"m","version":"1","${key}":{"rs":"cruds"}},
        "findings":[{"code":{"text":"x","${key}":{"rs":"cruds"}},"laterality":"${key}","${key}":{"rs":"cruds"}}]}`;
      const r = await bench.request('POST', '/api/ai-results', bench.admin, body, {
        'content-type': 'application/json',
      });
      expect(r.status).toBe(400);
      expect(r.body.resourceType).toBe('OperationOutcome');
      expect(prototypesClean()).toBe(true);
    }
    await scopesStillHold();
  });

  it('keeps the prototypes clean through query strings on /fhir, /dicomweb and /api/context', async () => {
    const queries: string[] = [];
    for (const key of KEYS) {
      queries.push(
        `/fhir/Patient?${key}=x`,
        `/fhir/Patient?${key}[rs]=cruds`,
        `/fhir/Patient?_elements=${key},name`,
        `/fhir/Observation?subject:${key}.name=x`,
        `/fhir/Observation?${key}.rs=cruds`,
        `/fhir/Patient?_sort=${key}`,
        `/fhir/Patient?_include=${key}:${key}`,
        `/dicomweb/studies?${key}=x&${key}.rs=cruds`,
        `/dicomweb/studies?includefield=${key}`,
        `/api/context?patient=${patientId}&${key}=x`,
        `/api/context?patient=${patientId}&include=${key}`,
      );
    }
    for (const q of queries) {
      for (const token of [bench.admin, patientToken]) {
        const r = await bench.get(q, token);
        expect(r.status, q).toBeLessThan(500);
        expect(prototypesClean()).toBe(true);
      }
    }
    await scopesStillHold();
  });

  it('keeps the prototypes clean through the token endpoint scope parameter', async () => {
    const client = await registerClient(bench.server.dataDir, 'proto-client', 'system/ImagingStudy.rs');
    for (const scope of [
      '__proto__ constructor prototype system/ImagingStudy.rs',
      'system/__proto__.rs system/constructor.rs',
      'system/ImagingStudy.rs?__proto__=x',
    ]) {
      const r = await requestToken(bench.url, client, scope);
      expect(r.status).toBeLessThan(500);
      // Only what the registration covers: the scope itself, or narrowed by a query suffix.
      if (r.status === 200)
        for (const granted of String(r.body.scope).split(' '))
          expect(granted).toMatch(/^system\/ImagingStudy\.rs(\?|$)/);
      expect(prototypesClean()).toBe(true);
    }
    // The registration's read-only scope grants no write, and its token cannot create.
    const cruds = await requestToken(bench.url, client, 'system/ImagingStudy.cruds');
    expect(cruds.status === 200 ? cruds.body.scope : '').not.toContain('cruds');
    const token = await accessToken(bench.url, client, 'system/ImagingStudy.rs');
    const create = await bench.request('POST', '/fhir/ImagingStudy', token, {
      resourceType: 'ImagingStudy',
      status: 'available',
      subject: { reference: `Patient/${patientId}` },
    });
    expect(create.status).toBe(403);
    await scopesStillHold();
  }, 120_000);

  it('keeps the prototypes clean through the config file (refused or ignored, never merged into a prototype)', async () => {
    // Each key at once in every section: a server start per section, not per key.
    const each = (value: string) => KEYS.map((key) => `"${key}":${value}`).join(',');
    const configs = [
      `{${each('{"auth":"none"}')}}`,
      `{"security":{${each('{"x":1}')}}}`,
      `{"security":{"externalIssuers":[{"issuer":"https://idp.test","jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b",${each('{"d":"x"}')}}]},"audience":"a","roleMap":{${each('"administrator"')}}}]}}`,
      `{"fhir":{"servers":{${each('{"baseUrl":"http://127.0.0.1:1/fhir"}')}}}}`,
      `{"notifications":{${each('{"retries":1}')}}}`,
      `{"bridge":{${each('{"debounceMs":1}')}}}`,
      `{"bridge":{"sources":{${each('{"timezone":"UTC"}')}},"issuerSystems":{${each('"urn:x"')}}}}`,
      `{"dimse":{${each('{"x":1}')}}}`,
      `{"sources":{${each('{"x":1}')}}}`,
      `{"context":{${each('{"x":1}')}}}`,
    ];
    for (const text of configs) {
      let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
      try {
        server = await startTestServer({ auth: 'smart' }, { configFile: JSON.parse(text) });
      } catch (e) {
        expect((e as Error).name, `${text}: ${(e as Error).message}`).toBe('ConfigError');
      } finally {
        if (server) {
          const dir = server.dataDir;
          await server.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }
      expect(prototypesClean(), text).toBe(true);
    }
    await scopesStillHold();
  }, 180_000);
});
