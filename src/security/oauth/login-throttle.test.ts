import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { LOGIN_THROTTLE_DEFAULTS, LoginThrottle, parseLoginThrottle } from './login-throttle.js';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('login throttle', () => {
  it('forgives one failure, then backs off 1 s, 2 s, 4 s, then locks the name for 15 min', () => {
    const c = clock();
    const th = new LoginThrottle(LOGIN_THROTTLE_DEFAULTS, c.now);
    expect(th.failed('cathy', '10.0.0.1').locked).toBe(false);
    expect(th.refusal('cathy', '10.0.0.1')).toBeUndefined();
    th.failed('cathy', '10.0.0.1');
    expect(th.refusal('Cathy', '10.0.0.2')).toEqual({ until: c.now() + 1000, locked: false });
    c.advance(1000);
    expect(th.refusal('cathy', '10.0.0.1')).toBeUndefined();
    th.failed('cathy', '10.0.0.1');
    expect(th.refusal('cathy', undefined)!.until - c.now()).toBe(2000);
    c.advance(2000);
    th.failed('cathy', '10.0.0.1');
    c.advance(4000);
    expect(th.failed('cathy', '10.0.0.1')).toEqual({ locked: true, until: c.now() + 900_000 });
    c.advance(899_000);
    expect(th.refusal('cathy', '10.0.0.9')).toMatchObject({ locked: true });
    c.advance(1000);
    expect(th.refusal('cathy', '10.0.0.9')).toBeUndefined();
    // After the lock, the count starts again.
    expect(th.failed('cathy', '10.0.0.9').locked).toBe(false);
  });

  it('locks an address after maxFailuresPerAddress failures over many names; a success clears only the name', () => {
    const c = clock();
    const th = new LoginThrottle({ ...LOGIN_THROTTLE_DEFAULTS, maxFailuresPerAddress: 3 }, c.now);
    th.failed('a', '10.0.0.1');
    th.failed('b', '10.0.0.1');
    expect(th.failed('c', '10.0.0.1').locked).toBe(true);
    expect(th.refusal('dora', '10.0.0.1')).toMatchObject({ locked: true });
    expect(th.refusal('dora', '10.0.0.2')).toBeUndefined();
    th.succeeded('a');
    expect(th.refusal('a', '10.0.0.1')).toMatchObject({ locked: true });
  });

  it('reads security.loginThrottle and refuses unknown keys and bad values', () => {
    expect(parseLoginThrottle(undefined)).toEqual(LOGIN_THROTTLE_DEFAULTS);
    expect(parseLoginThrottle({ externalIssuers: [] })).toEqual(LOGIN_THROTTLE_DEFAULTS);
    expect(parseLoginThrottle({ loginThrottle: { maxFailures: 3 } })).toEqual({
      ...LOGIN_THROTTLE_DEFAULTS,
      maxFailures: 3,
    });
    expect(() => parseLoginThrottle({ loginThrottle: { __proto__: 1, maxFailure: 3 } })).toThrow(ConfigError);
    expect(() => parseLoginThrottle({ loginThrottle: { lockSeconds: 0 } })).toThrow(/positive integer/);
  });
});
