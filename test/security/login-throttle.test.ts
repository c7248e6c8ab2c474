/**
 * Finding 13 (authentication): password guessing at the login form was unlimited. Now failures
 * back off exponentially and lock the name after 5 (and the address after maxFailuresPerAddress),
 * a locked name is refused even with the right password, unknown names and wrong passwords get
 * the same page, and every failure and lock is in the audit trail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { ClientStore } from '../../src/security/oauth/client-store.js';
import { openSecurityDb } from '../../src/security/oauth/sqlite-security-store.js';
import { UserStore } from '../../src/security/oauth/user-store.js';
import { startSmartBench, type SmartBench } from './harness.js';

let bench: SmartBench;
const BASE_DELAY_MS = 1000; // the default: a round trip under load stays well inside it

beforeAll(async () => {
  bench = await startSmartBench({
    demo: false,
    configFile: { security: { loginThrottle: { baseDelayMs: BASE_DELAY_MS, maxFailuresPerAddress: 12 } } },
  });
  const db = openSecurityDb(bench.server.dataDir);
  try {
    await new ClientStore(db).add({
      clientId: 'viewer',
      scope: 'openid fhirUser user/*.rs',
      redirectUris: [`${bench.url}/callback`],
    });
    const users = new UserStore(db);
    await users.add({ username: 'cathy', password: 'correct horse battery', role: 'clinician' });
    await users.add({ username: 'dora', password: 'another good passphrase', role: 'clinician' });
  } finally {
    await db.close();
  }
}, 120_000);

afterAll(() => bench?.stop());

/** One browser: a cookie jar, an interaction (login form) and its login POST. */
async function loginForm(): Promise<
  (username: string, password: string) => Promise<{ status: number; page: string; retryAfter: string | null }>
> {
  const cookies = new Map<string, string>();
  const browse = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(url, bench.url), {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    return res;
  };
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const query = new URLSearchParams({
    client_id: 'viewer',
    response_type: 'code',
    redirect_uri: `${bench.url}/callback`,
    scope: 'openid user/Patient.rs',
    state: 's',
    aud: `${bench.url}/fhir`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const res = await browse(`/oauth/auth?${query}`);
  expect(res.status).toBe(303);
  const interaction = res.headers.get('location')!;
  return async (username, password) => {
    const r = await browse(`${interaction}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }),
    });
    const page = (await r.text()).replaceAll(interaction, '<interaction>');
    return { status: r.status, page, retryAfter: r.headers.get('retry-after') };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loginFailures = (records: any[]) => records.filter((r) => r.type?.code === '110114' && r.outcome !== '0');

describe('login throttling and lock-out', () => {
  it('answers an unknown name exactly as a wrong password', async () => {
    const login = await loginForm();
    const wrong = await login('dora', 'not her password');
    const unknown = await login('nobody-at-all', 'not her password');
    expect(wrong.status).toBe(401);
    expect(unknown).toEqual(wrong);
    // dora's one failure is forgiven by her success (and the first failure costs no back-off).
    expect((await login('dora', 'another good passphrase')).status).toBe(303);
  });

  it('backs off exponentially, locks the name after 5 failures, then refuses even the right password; all audited', async () => {
    const head = bench.auditHead();
    const login = await loginForm();
    expect((await login('cathy', 'guess-1')).status).toBe(401);
    expect((await login('cathy', 'guess-2')).status).toBe(401);
    // Second failure: the name is held for BASE_DELAY_MS; an immediate try is refused unchecked.
    const early = await login('cathy', 'correct horse battery');
    expect(early.status).toBe(429);
    expect(early.page).toContain('Too many failed sign-ins');
    for (const [i, delay] of [
      [3, 1],
      [4, 2],
      [5, 4],
    ]) {
      await sleep(BASE_DELAY_MS * delay + 50);
      expect((await login('cathy', `guess-${i}`)).status).toBe(401);
    }
    await sleep(BASE_DELAY_MS * 8 + 500); // longer than a 5th back-off would be: what holds now is the lock
    // Locked for lockSeconds (900 s): the right password no longer gets in, and the same page
    // answers a locked name whether or not it exists.
    const locked = await login('cathy', 'correct horse battery');
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThan(800);
    // Authorization events are recorded as they happen, not before the page (group commit): wait for the last.
    const records = await waitFor(
      async () => (loginFailures(bench.auditSince(head)).length >= 8 ? bench.auditSince(head) : undefined),
      { timeoutMs: 10_000, what: 'the login audit records' },
    );
    const failures = loginFailures(records);
    const text = JSON.stringify(failures);
    expect(failures.length).toBeGreaterThanOrEqual(8);
    expect(text).toContain('cathy');
    expect(text).toMatch(/sign-in locked until/);
    expect(text).toMatch(/refused without checking the password/);
    expect(JSON.stringify(records)).not.toContain('correct horse battery');
  }, 60_000);

  it('locks the address after maxFailuresPerAddress failures across names (password spraying)', async () => {
    const login = await loginForm();
    // 1 (dora) + 1 (nobody) + 5 (cathy) so far; 5 more single guesses on other names reach 12.
    for (let i = 0; i < 5; i++) expect((await login(`spray-${i}`, 'Winter2026!')).status).toBe(401);
    const refused = await login('dora', 'another good passphrase');
    expect(refused.status).toBe(429);
  }, 60_000);
});
