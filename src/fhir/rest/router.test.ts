import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestRouter, type Call } from './test-support.js';

const patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:mrn', value: '1' }],
  name: [{ family: 'Test', given: ['Ann'] }],
  gender: 'female',
};

describe('FHIR router: instance and type interactions', () => {
  let t: ReturnType<typeof openTestRouter>;
  let call: (m: string, u: string, b?: unknown, h?: Record<string, string>) => Promise<Call>;
  beforeEach(() => {
    t = openTestRouter();
    call = t.call;
  });
  afterEach(() => t.close());

  it('creates with 201, Location, ETag and Last-Modified, then reads the same resource', async () => {
    const res = await call('POST', 'Patient', patient);
    expect(res.status).toBe(201);
    const id = res.body.id;
    expect(res.headers.location).toBe(`http://ib.test/fhir/Patient/${id}/_history/1`);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['last-modified']).toBe(new Date(res.body.meta.lastUpdated).toUTCString());
    expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    const read = await call('GET', `Patient/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
    expect((await call('GET', `Patient/${id}`, undefined, { 'if-none-match': 'W/"1"' })).status).toBe(304);
  });

  it('updates with If-Match, answers 412 to a stale version, and vreads both versions', async () => {
    const { body: v1 } = await call('POST', 'Patient', patient);
    const v2 = await call('PUT', `Patient/${v1.id}`, { ...v1, gender: 'male' }, { 'if-match': 'W/"1"' });
    expect(v2.status).toBe(200);
    expect(v2.headers.etag).toBe('W/"2"');
    const stale = await call('PUT', `Patient/${v1.id}`, { ...v1, gender: 'other' }, { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect((await call('GET', `Patient/${v1.id}/_history/1`)).body.gender).toBe('female');
    expect((await call('GET', `Patient/${v1.id}/_history/2`)).body.gender).toBe('male');
  });

  it('creates on PUT to a new id with 201 and refuses an id mismatch with 400', async () => {
    expect((await call('PUT', 'Patient/abc', { ...patient, id: 'abc' })).status).toBe(201);
    expect((await call('PUT', 'Patient/abc', { ...patient, id: 'xyz' })).status).toBe(400);
    expect((await call('PUT', 'Patient/abc', patient)).status).toBe(400);
  });

  it('deletes: then 410 on read, history shows the deletion', async () => {
    const { body } = await call('POST', 'Patient', patient);
    expect((await call('DELETE', `Patient/${body.id}`)).status).toBe(200);
    const gone = await call('GET', `Patient/${body.id}`);
    expect(gone.status).toBe(410);
    expect(gone.body.resourceType).toBe('OperationOutcome');
    const hist = await call('GET', `Patient/${body.id}/_history`);
    expect(hist.body.type).toBe('history');
    expect(hist.body.entry.map((e: { request: { method: string } }) => e.request.method)).toEqual(['DELETE', 'POST']);
    expect((await call('GET', 'Patient/_history')).body.total).toBe(2);
    expect((await call('GET', '_history')).body.total).toBe(2);
  });

  it('conditional create returns the existing match instead of creating a second', async () => {
    const first = await call('POST', 'Patient', patient, { 'if-none-exist': 'identifier=urn:mrn|1' });
    const second = await call('POST', 'Patient', patient, { 'if-none-exist': 'identifier=urn:mrn|1' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    await call('POST', 'Patient', patient);
    expect((await call('POST', 'Patient', patient, { 'if-none-exist': 'identifier=urn:mrn|1' })).status).toBe(412);
  });

  it('conditional update creates when nothing matches and updates the single match', async () => {
    const created = await call('PUT', 'Patient?identifier=urn:mrn|1', patient);
    expect(created.status).toBe(201);
    const updated = await call('PUT', 'Patient?identifier=urn:mrn|1', { ...patient, gender: 'male' });
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta.versionId).toBe('2');
  });

  it('applies a JSON Patch, 422 when a test op fails, 415 for a plain JSON body', async () => {
    const { body } = await call('POST', 'Patient', patient);
    const ops = [
      { op: 'replace', path: '/gender', value: 'male' },
      { op: 'add', path: '/name/0/given/-', value: 'Beth' },
    ];
    const patched = await call('PATCH', `Patient/${body.id}`, ops, { 'content-type': 'application/json-patch+json' });
    expect(patched.status).toBe(200);
    expect(patched.body.gender).toBe('male');
    expect(patched.body.name[0].given).toEqual(['Ann', 'Beth']);
    const failed = await call('PATCH', `Patient/${body.id}`, [{ op: 'test', path: '/gender', value: 'female' }], {
      'content-type': 'application/json-patch+json',
    });
    expect(failed.status).toBe(422);
    expect((await call('PATCH', `Patient/${body.id}`, ops, { 'content-type': 'application/json' })).status).toBe(415);
    const stale = await call('PATCH', `Patient/${body.id}`, ops, {
      'content-type': 'application/json-patch+json',
      'if-match': 'W/"1"',
    });
    expect(stale.status).toBe(412);
  });

  it('rejects invalid resources with 400 and the element in issue.expression', async () => {
    const res = await call('POST', 'Observation', { resourceType: 'Observation', status: 'final', foo: 1 });
    expect(res.status).toBe(400);
    const expressions = res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? []);
    expect(expressions).toContain('Observation.code');
    expect(expressions).toContain('Observation.foo');
    const typeMismatch = await call('POST', 'Patient', { resourceType: 'Patient', birthDate: 'yesterday' });
    expect(typeMismatch.status).toBe(400);
    expect(typeMismatch.body.issue[0].expression).toEqual(['Patient.birthDate']);
  });

  it('answers every error with an OperationOutcome and the right status', async () => {
    const cases: [string, string, unknown, Record<string, string>, number][] = [
      ['GET', 'Patient/none', undefined, {}, 404],
      ['GET', 'Nonsense/1', undefined, {}, 404],
      ['POST', 'Patient/1', patient, {}, 405],
      ['POST', 'Patient', '{not json', {}, 400],
      ['POST', 'Patient', { resourceType: 'Observation' }, {}, 400],
      ['POST', 'Patient', patient, { 'content-type': 'text/plain' }, 415],
      ['GET', 'Patient?unknown-param=1', undefined, {}, 400],
      ['GET', 'Patient?birthdate=notadate', undefined, {}, 400],
      ['GET', 'Patient', undefined, { accept: 'application/fhir+xml' }, 406],
      ['POST', 'AuditEvent', { resourceType: 'AuditEvent' }, {}, 405],
      ['DELETE', 'AuditEvent/1', undefined, {}, 405],
      ['PUT', 'Patient/bad%20id', { ...patient, id: 'bad id' }, {}, 400],
    ];
    for (const [method, url, body, headers, status] of cases) {
      const res = await call(method, url, body, headers);
      expect({ method, url, status: res.status }).toEqual({ method, url, status });
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('serves a CapabilityStatement that declares what works and leaves out what does not', async () => {
    const res = await call('GET', 'metadata');
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    const byType = new Map(res.body.rest[0].resource.map((r: { type: string }) => [r.type, r]));
    const audit = byType.get('AuditEvent') as { interaction: { code: string }[] };
    expect(audit.interaction.map((i) => i.code)).not.toContain('create');
    const obs = byType.get('Observation') as { searchParam: { name: string; type: string }[] };
    expect(obs.searchParam.map((p) => p.name)).toContain('value-quantity');
    expect(obs.searchParam.map((p) => p.type)).not.toContain('composite');
    expect(res.body.rest[0].interaction.map((i: { code: string }) => i.code)).toEqual([
      'batch',
      'transaction',
      'history-system',
    ]);
  });
});
