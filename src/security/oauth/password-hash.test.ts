import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashSecret, PARAMS, UNMATCHABLE_HASH, verifySecret } from './password-hash.js';

describe('password hashes', () => {
  it('hashes new secrets at N = 2^17 (r 8, p 1) and verifies them', async () => {
    const stored = hashSecret('correct horse battery');
    expect(stored.split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
    expect(PARAMS.N).toBeGreaterThanOrEqual(2 ** 17);
    expect(await verifySecret('correct horse battery', stored)).toBe(true);
    expect(await verifySecret('correct horse batterY', stored)).toBe(false);
  }, 30_000);

  it('keeps verifying hashes stored at the former cost (N = 2^14) with their own parameters', async () => {
    const salt = randomBytes(16);
    const old = [
      'scrypt',
      16384,
      8,
      1,
      salt.toString('base64url'),
      scryptSync('old secret', salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64url'),
    ].join('$');
    expect(await verifySecret('old secret', old)).toBe(true);
    expect(await verifySecret('other secret', old)).toBe(false);
  });

  it('refuses malformed or absurdly expensive stored values instead of computing them', async () => {
    expect(await verifySecret('x', 'plain')).toBe(false);
    expect(await verifySecret('x', `scrypt$${2 ** 24}$8$1$c2FsdA$aGFzaA`)).toBe(false);
    expect(await verifySecret('x', UNMATCHABLE_HASH)).toBe(false);
  }, 30_000);
});
