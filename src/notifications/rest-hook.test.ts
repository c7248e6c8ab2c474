import { describe, expect, it } from 'vitest';
import { deliverRestHook } from './rest-hook.js';

describe('rest-hook delivery', () => {
  it('retries with exponential backoff capped at the maximum, then reports the last failure', async () => {
    const waits: number[] = [];
    const result = await deliverRestHook({ endpoint: 'http://h.test/x', headers: [] }, undefined, {
      retries: 4,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 300,
      timeoutMs: 1000,
      fetch: async () => new Response(null, { status: 503 }),
      sleep: async (ms) => void waits.push(ms),
    });
    expect(result).toEqual({ ok: false, attempts: 5, error: 'HTTP 503' });
    expect(waits).toEqual([100, 200, 300, 300]);
  });
});
