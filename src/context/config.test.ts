import { describe, expect, it } from 'vitest';
import { parseContextConfig } from './config.js';

describe('context config: readCacheEntries', () => {
  it('keeps 2048 answers by default, and 0 turns the cache off', () => {
    expect(parseContextConfig(undefined, []).readCacheEntries).toBe(2048);
    expect(parseContextConfig({}, []).readCacheEntries).toBe(2048);
    expect(parseContextConfig({ readCacheEntries: 0 }, []).readCacheEntries).toBe(0);
  });

  it('refuses a negative, fractional or too large count with the key named', () => {
    for (const bad of [-1, 1.5, 100_001, '10'])
      expect(() => parseContextConfig({ readCacheEntries: bad }, [])).toThrow(/context\.readCacheEntries/);
  });
});
