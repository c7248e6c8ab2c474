import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from './chain-hash.js';

const key = Buffer.alloc(32, 7);

describe('chainHash', () => {
  it('starts the chain from 64 zeros', () => {
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });

  it('is the keyed HMAC-SHA256 of the previous hash followed by the record, in hex', () => {
    const hash = chainHash(key, GENESIS_HASH, '{"a":1}');
    expect(hash).toBe(createHmac('sha256', key).update(`${GENESIS_HASH}{"a":1}`).digest('hex'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the key, the previous hash and the record, and cannot be recomputed with plain SHA-256', () => {
    const hash = chainHash(key, GENESIS_HASH, '{"a":1}');
    expect(chainHash(Buffer.alloc(32, 8), GENESIS_HASH, '{"a":1}')).not.toBe(hash);
    expect(chainHash(key, hash, '{"a":1}')).not.toBe(hash);
    expect(chainHash(key, GENESIS_HASH, '{"a":2}')).not.toBe(hash);
    expect(createHash('sha256').update(`${GENESIS_HASH}{"a":1}`).digest('hex')).not.toBe(hash);
  });
});
