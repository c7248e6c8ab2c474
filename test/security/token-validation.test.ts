/**
 * Checks the review found solid, kept tested: a token that is missing, expired, signed by
 * another key or issued for another audience is 401 with `WWW-Authenticate: Bearer`, and the
 * refusal leaves its audit record; a valid token without the scope is 403.
 */
import { SignJWT, generateKeyPair } from 'jose';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, startSmartBench, type SmartBench } from './harness.js';

describe('token validation (--auth smart)', () => {
  let bench: SmartBench;
  beforeAll(async () => {
    bench = await startSmartBench({ demo: false });
  }, 120_000);
  afterAll(() => bench?.stop());

  it('answers 401 with a Bearer challenge for no token, an expired one, a forged one and a wrong audience', async () => {
    const { privateKey: forger } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ scope: 'user/*.cruds' })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('mallory')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(forger);
    const expired = await bench.token({ scope: 'user/*.cruds', exp: Math.floor(Date.now() / 1000) - 60 });
    const before = bench.auditHead();
    for (const token of [undefined, expired, forged, 'not-a-jwt']) {
      const r = await bench.get('/fhir/Patient', token);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(r.body.resourceType).toBe('OperationOutcome');
    }
    const refusals = bench.auditSince(before).filter((e) => e.outcome === '4');
    expect(refusals.length).toBeGreaterThanOrEqual(4);
  });

  it('answers 403 OperationOutcome for a valid token without the scope', async () => {
    const r = await bench.get('/fhir/Patient', await bench.token({ scope: 'user/Observation.rs' }));
    expect(r.status).toBe(403);
    expect(r.body.issue[0].code).toBe('forbidden');
  });
});
