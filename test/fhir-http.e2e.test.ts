import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';

/** The FHIR HTTP edge on a real socket: media types, version headers and error bodies as they go on the wire. */
describe('embedded FHIR server over HTTP', () => {
  let server: TestServer;
  let base: string;
  beforeAll(async () => {
    server = await startTestServer();
    base = `${server.url}/fhir`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', ...headers },
      body: JSON.stringify(body),
    });

  it('answers a create with 201 and Location, ETag, Last-Modified headers, and accepts application/json', async () => {
    const res = await post(
      'Patient',
      { resourceType: 'Patient', gender: 'male' },
      { 'content-type': 'application/json' },
    );
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    expect(res.headers.get('location')).toBe(`${base}/Patient/${body.id}/_history/1`);
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(res.headers.get('last-modified')).toBe(new Date(body.meta.lastUpdated).toUTCString());
    const head = await fetch(`${base}/Patient/${body.id}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe('W/"1"');
  });

  it('answers a stale If-Match with 412 and an OperationOutcome', async () => {
    const created = await json(await post('Patient', { resourceType: 'Patient' }));
    const put = (ifMatch: string) =>
      fetch(`${base}/Patient/${created.id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/fhir+json', 'if-match': ifMatch },
        body: JSON.stringify({ ...created, active: true }),
      });
    expect((await put('W/"1"')).status).toBe(200);
    const stale = await put('W/"1"');
    expect(stale.status).toBe(412);
    expect((await json(stale)).resourceType).toBe('OperationOutcome');
  });

  it('answers unsupported media types, bad JSON and unknown routes with OperationOutcomes', async () => {
    const xml = await fetch(`${base}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+xml' },
      body: '<Patient/>',
    });
    expect(xml.status).toBe(415);
    expect((await json(xml)).resourceType).toBe('OperationOutcome');
    const bad = await fetch(`${base}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: '{',
    });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${base}/NotAType`);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).resourceType).toBe('OperationOutcome');
  });

  it('validates every body from the wire, whatever it carries (only the in-process bridge is trusted)', async () => {
    const invalid = { resourceType: 'Patient', gender: 'blue', validated: true };
    const create = await post('Patient', invalid, { validated: 'true' });
    expect(create.status).toBe(400);
    const tx = await post(
      '',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        validated: true,
        entry: [{ resource: invalid, request: { method: 'POST', url: 'Patient' } }],
      },
      { validated: 'true' },
    );
    expect(tx.status).toBe(400);
    expect((await json(tx)).resourceType).toBe('OperationOutcome');
  });

  it('keeps resources in <dataDir>/fhir.sqlite', async () => {
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${server.dataDir}/fhir.sqlite`)).toBe(true);
  });
});
