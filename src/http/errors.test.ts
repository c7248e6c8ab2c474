import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryError } from '../archive/query/index.js';
import { badRequest, invalid, notFound, outcome } from '../core/errors.js';
import { FhirServerError } from '../fhir/client/errors.js';
import { FHIR_ERRORS, errorHandler } from './errors.js';

/** Every route throws what its path names; `/fhir-style/…` routes declare FHIR errors. */
function app(): FastifyInstance {
  const a = Fastify({ genReqId: () => 'req-1' });
  a.setErrorHandler(errorHandler);
  const failures: [string, () => Error][] = [
    ['bad-request', () => badRequest('limit must be a non-negative integer')],
    ['with-headers', () => notFound('no such study', undefined, { 'retry-after': '5' })],
    [
      'several-issues',
      () =>
        invalid([
          { severity: 'error', code: 'required', diagnostics: 'model is required', expression: ['model'] },
          { severity: 'error', code: 'value', diagnostics: 'bad code', expression: ['findings[0].code'] },
        ]),
    ],
    ['query', () => new QueryError('StudyDate', 'StudyDate="2024-01-05": not a DA value')],
    ['unknown', () => new Error('secret detail of patient Doe')],
    // better-sqlite3's error for SQLITE_BUSY, and our FHIR client's after a 503 it could not get past.
    ['sqlite-busy', () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })],
    ['fhir-busy', () => new FhirServerError(503, outcome('error', 'transient', 'busy'), 'transaction', 4)],
  ];
  for (const [name, fail] of failures) {
    a.post(`/plain/${name}`, async () => {
      throw fail();
    });
    a.post(`/fhir-style/${name}`, { config: FHIR_ERRORS }, async () => {
      throw fail();
    });
  }
  return a;
}

describe('the HTTP error handler', () => {
  let server: FastifyInstance;
  beforeAll(() => {
    server = app();
  });
  afterAll(() => server.close());
  const post = (url: string) => server.inject({ method: 'POST', url, payload: {} });

  it('answers an OperationOutcomeError with its status, its OperationOutcome and the reason in a Warning header', async () => {
    const res = await post('/plain/bad-request');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.warning).toBe('299 imaging-bridge "limit must be a non-negative integer"');
    expect(res.json()).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'invalid', diagnostics: 'limit must be a non-negative integer' }],
    });
  });

  it("sends the error's own headers too", async () => {
    const res = await post('/plain/with-headers');
    expect(res.statusCode).toBe(404);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().issue[0]).toEqual({ severity: 'error', code: 'not-found', diagnostics: 'no such study' });
  });

  it('answers a QueryError as a 400 OperationOutcome with its message', async () => {
    const res = await post('/plain/query');
    expect(res.statusCode).toBe(400);
    expect(res.headers.warning).toBe('299 imaging-bridge "StudyDate= 2024-01-05 : not a DA value"');
    expect(res.json()).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'invalid', diagnostics: 'StudyDate="2024-01-05": not a DA value' }],
    });
  });

  it('answers anything else as a 500 naming the request id, never its message', async () => {
    const res = await post('/plain/unknown');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('Doe');
    expect(res.json().issue[0]).toEqual({
      severity: 'error',
      code: 'exception',
      diagnostics: 'internal error; the request id is req-1',
    });
  });

  it('answers on routes with FHIR errors as application/fhir+json, every issue kept, without a Warning', async () => {
    const res = await post('/fhir-style/several-issues');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(res.headers.warning).toBeUndefined();
    expect(res.json().issue.map((i: { expression: string[] }) => i.expression[0])).toEqual([
      'model',
      'findings[0].code',
    ]);
    const unknown = await post('/fhir-style/unknown');
    expect(unknown.statusCode).toBe(500);
    expect(unknown.json().issue[0].diagnostics).toBe('internal error');
    expect((await post('/fhir-style/with-headers')).headers['retry-after']).toBe('5');
  });

  it("answers Fastify's own refusals (a body that is not JSON) by their status, the DICOMweb way on every route", async () => {
    const res = await server.inject({
      method: 'POST',
      url: '/fhir-style/bad-request',
      headers: { 'content-type': 'application/json' },
      payload: '{"a": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.warning).toMatch(/^299 imaging-bridge /);
    expect(res.json().issue[0].code).toBe('invalid');
  });
  it('answers a busy store (SQLITE_BUSY, or a 503 of our FHIR server) as 503 + Retry-After, transient, never 500', async () => {
    for (const path of ['/plain/sqlite-busy', '/fhir-style/sqlite-busy', '/plain/fhir-busy', '/fhir-style/fhir-busy']) {
      const res = await post(path);
      expect(res.statusCode, path).toBe(503);
      expect(res.headers['retry-after'], path).toBe('1');
      expect(res.json().issue, path).toEqual([expect.objectContaining({ severity: 'error', code: 'transient' })]);
      expect(res.body, path).not.toMatch(/database is locked/);
    }
  });
});
