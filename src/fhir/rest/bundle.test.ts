import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestRouter } from './test-support.js';

const entry = (
  fullUrl: string | undefined,
  method: string,
  url: string,
  resource?: unknown,
  extra: Record<string, string> = {},
) => ({
  ...(fullUrl ? { fullUrl } : {}),
  ...(resource ? { resource } : {}),
  request: { method, url, ...extra },
});

describe('FHIR router: batch and transaction Bundles', () => {
  let t: ReturnType<typeof openTestRouter>;
  beforeEach(() => {
    t = openTestRouter();
  });
  afterEach(() => t.close());

  it('commits a transaction and resolves urn:uuid references to the new ids', async () => {
    const res = await t.call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        entry('urn:uuid:obs', 'POST', 'Observation', {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'INR' },
          subject: { reference: 'urn:uuid:pat' },
        }),
        entry('urn:uuid:pat', 'POST', 'Patient', {
          resourceType: 'Patient',
          identifier: [{ system: 'urn:mrn', value: '7' }],
        }),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    const [obs, pat] = res.body.entry;
    expect(obs.response.status).toBe('201 Created');
    expect(pat.response.location).toMatch(/^http:\/\/ib\.test\/fhir\/Patient\/[0-9a-f-]{36}\/_history\/1$/);
    expect(obs.resource.subject.reference).toBe(`Patient/${pat.resource.id}`);
    const found = await t.call('GET', `Observation?subject=Patient/${pat.resource.id}`);
    expect(found.body.total).toBe(1);
  });

  it("rolls back every entry when one fails, answering with the failing entry's status", async () => {
    const res = await t.call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        entry('urn:uuid:a', 'POST', 'Patient', { resourceType: 'Patient', gender: 'female' }),
        entry(undefined, 'PUT', 'Patient/x', { resourceType: 'Patient', id: 'x', birthDate: 'never' }),
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(/^Bundle\.entry\[1\]/);
    expect((await t.call('GET', 'Patient?gender=female')).body.total).toBe(0);
    expect((await t.call('GET', 'Patient/x')).status).toBe(404);
  });

  it('answers a failing create amid others as if run one by one: its status, earlier ones ran, later ones not', async () => {
    const res = await t.call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        entry('urn:uuid:a', 'POST', 'Patient', { resourceType: 'Patient', gender: 'female' }),
        entry('urn:uuid:b', 'POST', 'Patient', { resourceType: 'Patient', gender: 'male' }),
        entry('urn:uuid:c', 'POST', 'Patient', { resourceType: 'Patient', birthDate: 'never' }),
        entry('urn:uuid:d', 'POST', 'AuditEvent', { resourceType: 'AuditEvent' }),
        entry('urn:uuid:e', 'POST', 'Patient', { resourceType: 'Patient', gender: 'other' }),
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/^Bundle\.entry\[2\]/);
    expect(res.access?.entries?.map((e: { status?: number }) => e.status)).toEqual([
      201,
      201,
      400,
      undefined,
      undefined,
    ]);
    expect((await t.call('GET', 'Patient')).body.total).toBe(0);
  });

  it('uses the existing resource for a conditional create inside a transaction', async () => {
    const existing = await t.call('POST', 'Patient', {
      resourceType: 'Patient',
      identifier: [{ system: 'urn:mrn', value: '9' }],
    });
    const res = await t.call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        entry(
          'urn:uuid:p',
          'POST',
          'Patient',
          { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: '9' }] },
          { ifNoneExist: 'identifier=urn:mrn|9' },
        ),
        entry('urn:uuid:f', 'POST', 'Flag', {
          resourceType: 'Flag',
          status: 'active',
          code: { text: 'x' },
          subject: { reference: 'urn:uuid:p' },
        }),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('200 OK');
    expect(res.body.entry[1].resource.subject.reference).toBe(`Patient/${existing.body.id}`);
    expect((await t.call('GET', 'Patient')).body.total).toBe(1);
  });

  it('processes batch entries independently, each with its own status', async () => {
    const res = await t.call('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        entry(undefined, 'POST', 'Patient', { resourceType: 'Patient', gender: 'male' }),
        entry(undefined, 'GET', 'Patient/missing'),
        entry(undefined, 'GET', 'Patient?gender=male'),
        entry(undefined, 'POST', 'AuditEvent', { resourceType: 'AuditEvent' }),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '201 Created',
      '404',
      '200 OK',
      '405',
    ]);
    expect(res.body.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
    expect(res.body.entry[2].resource.total).toBe(1);
  });

  it('refuses what is not a batch or transaction Bundle with 400', async () => {
    expect((await t.call('POST', '', { resourceType: 'Bundle', type: 'collection' })).status).toBe(400);
    expect((await t.call('POST', '', { resourceType: 'Patient' })).status).toBe(400);
    expect((await t.call('GET', '')).status).toBe(405);
  });
});
