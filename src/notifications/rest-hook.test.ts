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

  it("sends the channel's headers as headers, including one named __proto__, and drops invalid ones", async () => {
    let sent: Headers | undefined;
    const result = await deliverRestHook(
      {
        endpoint: 'http://h.test/x',
        headers: ['Authorization: Bearer s', '__proto__: {"polluted":true}', 'bad name: x', 'no colon'],
      },
      undefined,
      {
        retries: 0,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 1,
        timeoutMs: 1000,
        idempotencyKey: 'k1',
        fetch: async (_url, init) => {
          sent = new Headers(init?.headers);
          return new Response(null, { status: 200 });
        },
      },
    );
    expect(result).toEqual({ ok: true, attempts: 1 });
    expect([...sent!.entries()]).toEqual([
      ['__proto__', '{"polluted":true}'],
      ['authorization', 'Bearer s'],
      ['idempotency-key', 'k1'],
    ]);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
