/**
 * When to send a FHIR request again, and after how long. Pure: the clock and the random source
 * are arguments. 429 and 503 mean the server did not act, and a refused connection means the
 * request never left, so those are retried for every request; other 5xx, resets and timeouts
 * may come after the server acted, so only idempotent requests (reads, PUT, conditional create)
 * are sent again.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = none). */
  retries: number;
  /** First backoff; doubles each retry. */
  baseDelayMs: number;
  /** Cap on one wait, also on a Retry-After: a server asking for longer gets its error back now. */
  maxDelayMs: number;
}

export type Failure =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'refused' }
  | { kind: 'network' }
  | { kind: 'timeout' };

const ALWAYS = new Set([429, 503]);
const IDEMPOTENT_ONLY = new Set([500, 502, 504]);

/** The wait before the next attempt, or undefined to give up. `attempt` is the one that just failed (1-based). */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  failure: Failure,
  idempotent: boolean,
  random: () => number = Math.random,
  now: number = Date.now(),
): number | undefined {
  if (attempt > policy.retries || !retryable(failure, idempotent)) return undefined;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": at least half the backoff, so clients that failed together spread out but still back off.
  const jittered = backoff / 2 + random() * (backoff / 2);
  const asked = failure.kind === 'status' ? retryAfterMs(failure.retryAfter, now) : undefined;
  if (asked === undefined) return Math.round(jittered);
  if (asked > policy.maxDelayMs) return undefined;
  return Math.round(Math.max(asked, jittered));
}

function retryable(failure: Failure, idempotent: boolean): boolean {
  switch (failure.kind) {
    case 'status':
      return ALWAYS.has(failure.status) || (idempotent && IDEMPOTENT_ONLY.has(failure.status));
    case 'refused':
      return true;
    case 'network':
    case 'timeout':
      return idempotent;
  }
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 10.2.3), in ms from `now`; undefined when absent or malformed. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
