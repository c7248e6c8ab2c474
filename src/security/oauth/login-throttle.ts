import { ConfigError } from '../../core/errors.js';

/**
 * Throttling and lock-out of failed sign-ins, per user name and per client address
 * (`security.loginThrottle` of the config file):
 *
 * ```json
 * { "security": { "loginThrottle": { "maxFailures": 5, "maxFailuresPerAddress": 20, "lockSeconds": 900, "baseDelayMs": 1000 } } }
 * ```
 * The first failure of a name costs nothing (people mistype); after the k-th consecutive one
 * (k ≥ 2) further attempts for that name are refused for baseDelayMs · 2^(k−2) (exponential
 * back-off); at maxFailures the name is locked for lockSeconds. An address is locked for
 * lockSeconds after maxFailuresPerAddress failures, whatever the names (password spraying). While refused, no password
 * is checked, so a locked account cannot be guessed even with the right password. Names are
 * counted whether or not such a user exists, so the answers never tell which names do.
 * A success clears the name's count, never the address's (an attacker cannot reset its address
 * by signing in to an account of its own). State is in memory: a restart clears it.
 */
export interface LoginThrottleConfig {
  maxFailures: number;
  maxFailuresPerAddress: number;
  lockSeconds: number;
  baseDelayMs: number;
}

export const LOGIN_THROTTLE_DEFAULTS: LoginThrottleConfig = {
  maxFailures: 5,
  maxFailuresPerAddress: 20,
  lockSeconds: 900,
  baseDelayMs: 1000,
};

/** Entries idle this long are forgotten (and the map never holds more than MAX_KEYS). */
const MAX_KEYS = 100_000;

interface Failures {
  count: number;
  /** Attempts are refused until this time (ms since the epoch). */
  blockedUntil: number;
  last: number;
}

export type Refusal = { until: number; locked: boolean };

export class LoginThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(
    private readonly config: LoginThrottleConfig = LOGIN_THROTTLE_DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether an attempt for this name from this address is refused now, and until when. */
  refusal(username: string, address: string | undefined): Refusal | undefined {
    const t = this.now();
    let until = 0;
    let locked = false;
    for (const [key, max] of this.keys(username, address)) {
      const f = this.failures.get(key);
      if (f && f.blockedUntil > t) {
        until = Math.max(until, f.blockedUntil);
        locked ||= f.count >= max;
      }
    }
    return until > 0 ? { until, locked } : undefined;
  }

  /** Counts a failed attempt; says whether it locked the name or the address. */
  failed(username: string, address: string | undefined): { locked: boolean; until: number } {
    const t = this.now();
    let lockedNow = false;
    let until = 0;
    this.forgetIdle(t);
    for (const [key, max] of this.keys(username, address)) {
      const previous = this.failures.get(key);
      const count = (previous && t - previous.last < this.config.lockSeconds * 1000 ? previous.count : 0) + 1;
      const lockMs = this.config.lockSeconds * 1000;
      const backOff =
        key.startsWith('user:') && count >= 2 ? Math.min(lockMs, this.config.baseDelayMs * 2 ** (count - 2)) : 0;
      const blockMs = count >= max ? lockMs : backOff;
      const f = { count, blockedUntil: t + blockMs, last: t };
      this.failures.delete(key); // re-inserted last: the map stays in order of last failure
      this.failures.set(key, f);
      if (count === max) lockedNow = true;
      until = Math.max(until, f.blockedUntil);
    }
    return { locked: lockedNow, until };
  }

  /** A successful sign-in clears the name's failures (not the address's). */
  succeeded(username: string): void {
    this.failures.delete(userKey(username));
  }

  private keys(username: string, address: string | undefined): [string, number][] {
    const keys: [string, number][] = [[userKey(username), this.config.maxFailures]];
    if (address) keys.push([`addr:${address}`, this.config.maxFailuresPerAddress]);
    return keys;
  }

  private forgetIdle(t: number): void {
    const idleMs = this.config.lockSeconds * 1000;
    for (const [key, f] of this.failures) {
      if (t - f.last < idleMs && this.failures.size < MAX_KEYS) break;
      this.failures.delete(key);
    }
  }
}

const userKey = (username: string): string => `user:${username.toLowerCase()}`;

/** Validates `security.loginThrottle` (other keys of the section belong to other modules). */
export function parseLoginThrottle(section: unknown): LoginThrottleConfig {
  if (typeof section !== 'object' || section === null || !Object.hasOwn(section, 'loginThrottle'))
    return LOGIN_THROTTLE_DEFAULTS;
  const value = (section as { loginThrottle: unknown }).loginThrottle;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError('config "security.loginThrottle" must be an object');
  const out = { ...LOGIN_THROTTLE_DEFAULTS };
  const known = Object.keys(LOGIN_THROTTLE_DEFAULTS) as (keyof LoginThrottleConfig)[];
  for (const [key, v] of Object.entries(value)) {
    const k = known.find((n) => n === key);
    if (!k) throw new ConfigError(`config "security.loginThrottle.${key}" is not known (known: ${known.join(', ')})`);
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 86_400_000)
      throw new ConfigError(`config "security.loginThrottle.${key}" must be a positive integer`);
    out[k] = v as number;
  }
  return out;
}
