import { describe, expect, it } from 'vitest';
import { retryAfterMs, retryDelay, type RetryPolicy } from './retry-policy.js';

const policy: RetryPolicy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1_000 };
const half = () => 0.5;

describe('retryDelay', () => {
  it('doubles the backoff each attempt, with equal jitter, capped at the maximum', () => {
    const delays = [1, 2, 3].map((a) =>
      retryDelay({ ...policy, retries: 5 }, a, { kind: 'status', status: 503 }, true, half),
    );
    expect(delays).toEqual([75, 150, 300]);
    expect(retryDelay({ ...policy, retries: 9 }, 8, { kind: 'status', status: 503 }, true, () => 1)).toBe(1_000);
    expect(retryDelay(policy, 1, { kind: 'status', status: 503 }, true, () => 0)).toBe(50);
  });

  it('stops once the configured retries are used', () => {
    expect(retryDelay(policy, 3, { kind: 'status', status: 429 }, true, half)).toBeDefined();
    expect(retryDelay(policy, 4, { kind: 'status', status: 429 }, true, half)).toBeUndefined();
    expect(retryDelay({ ...policy, retries: 0 }, 1, { kind: 'refused' }, true, half)).toBeUndefined();
  });

  it('retries 429, 503 and refused connections for any request, other 5xx, resets and timeouts only when idempotent', () => {
    for (const failure of [
      { kind: 'status', status: 429 },
      { kind: 'status', status: 503 },
      { kind: 'refused' },
    ] as const) {
      expect(retryDelay(policy, 1, failure, false, half)).toBeDefined();
    }
    for (const failure of [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 504 },
      { kind: 'network' },
      { kind: 'timeout' },
    ] as const) {
      expect(retryDelay(policy, 1, failure, false, half)).toBeUndefined();
      expect(retryDelay(policy, 1, failure, true, half)).toBeDefined();
    }
  });

  it('never retries client errors or 501', () => {
    for (const status of [400, 401, 404, 409, 412, 422, 501])
      expect(retryDelay(policy, 1, { kind: 'status', status }, true, half)).toBeUndefined();
  });

  it('waits for Retry-After when it is longer than the backoff, and gives up when it exceeds the maximum delay', () => {
    expect(retryDelay(policy, 1, { kind: 'status', status: 429, retryAfter: '1' }, true, half)).toBe(1_000);
    expect(retryDelay(policy, 1, { kind: 'status', status: 429, retryAfter: '0' }, true, half)).toBe(75);
    expect(retryDelay(policy, 1, { kind: 'status', status: 429, retryAfter: '2' }, true, half)).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP dates, and ignores anything else', () => {
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
