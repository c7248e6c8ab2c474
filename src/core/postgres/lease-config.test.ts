import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { LEASE_DEFAULTS, parseDatabaseSection } from './lease-config.js';

describe('database.lease settings', () => {
  it('defaults to a 10 s lease renewed every 3 s', () => {
    expect(parseDatabaseSection(undefined).lease).toEqual(LEASE_DEFAULTS);
    expect(parseDatabaseSection({}).lease).toEqual({ ttlMs: 10_000, renewMs: 3_000 });
  });

  it('takes ttlSeconds, renewing every third of it unless renewSeconds is given', () => {
    expect(parseDatabaseSection({ lease: { ttlSeconds: 6 } }).lease).toEqual({ ttlMs: 6000, renewMs: 2000 });
    expect(parseDatabaseSection({ lease: { ttlSeconds: 5, renewSeconds: 0.5 } }).lease).toEqual({
      ttlMs: 5000,
      renewMs: 500,
    });
  });

  it('refuses a renewal not shorter than the lease, out-of-range numbers and unknown keys, naming the key', () => {
    expect(() => parseDatabaseSection({ lease: { ttlSeconds: 3, renewSeconds: 3 } })).toThrow(/shorter than/);
    expect(() => parseDatabaseSection({ lease: { ttlSeconds: 0 } })).toThrow(/database\.lease\.ttlSeconds/);
    expect(() => parseDatabaseSection({ lease: { ttlSeconds: '10' } })).toThrow(ConfigError);
    expect(() => parseDatabaseSection({ lease: { ttl: 10 } })).toThrow(/database\.lease\.ttl" is not known/);
    expect(() => parseDatabaseSection({ pool: 4 })).toThrow(/database\.pool" is not known/);
    expect(() => parseDatabaseSection({ lease: [] })).toThrow(/must be an object/);
  });
});
