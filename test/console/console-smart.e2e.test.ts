/**
 * The web console under `--auth smart`: it is a SMART app of our own authorization server
 * (authorization code + PKCE, its public client registered by the server at start). People are
 * made with the real CLI (`imaging-bridge users add`) and sign in through the real login and
 * consent pages in headless Chromium.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer, startTestServer } from '../support/server.js';
import { browserTestsUnavailable, cli, launchBrowser, screenshot, watchProblems } from './browser.js';

const unavailable = browserTestsUnavailable();
const PASSWORD = 'correct horse battery';

describe.skipIf(unavailable !== undefined)('the web console under --auth smart', () => {
  let server: SpawnedServer;
  let browser: Browser;
  let secrets: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startTestServer({ auth: 'smart' }, { spawn: { startTimeoutMs: 120_000 } }),
      launchBrowser(),
    ]);
    secrets = mkdtempSync(join(tmpdir(), 'ib-console-pw-'));
    const pw = join(secrets, 'pw.txt');
    writeFileSync(pw, PASSWORD);
    for (const [username, role] of [
      ['cathy', 'clinician'],
      ['ada', 'administrator'],
    ]) {
      const added = await cli([
        'users',
        'add',
        '--data-dir',
        server.dataDir,
        '--username',
        username,
        '--password-file',
        pw,
        '--role',
        role,
      ]);
      expect(added.code, added.stderr).toBe(0);
    }
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (secrets) rmSync(secrets, { recursive: true, force: true });
  });

  it('signs a user made by the CLI in (authorization code + PKCE) and keeps the token out of web storage', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = watchProblems(page);
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText(/authentication off/i).count()).toBe(0);
    await screenshot(page, 'sign-in');
    const token = await signIn(page, 'cathy');
    expect(await page.locator('.who').textContent()).toContain('cathy');
    expect(await page.locator('.who').textContent()).toContain('clinician');
    const stored = (await page.evaluate('JSON.stringify([localStorage, sessionStorage])')) as string;
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.split('.')[1]);
    // The console's calls carry the token: the patient search works signed in.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Find a patient' }).click();
    await page.getByRole('searchbox').fill('nobody');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/No patient matches/).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('refuses the audit page to a user without the administrator role, and so does the API', async () => {
    const page = await browser.newPage();
    const token = await signIn(page, 'cathy');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/Not allowed: .* needs the role administrator/);
    // The same token, straight to the API the page would use.
    const res = await fetch(`${server.url}/fhir/AuditEvent?_count=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(403);
    const steward = await fetch(`${server.url}/api/quarantine`, { headers: { authorization: `Bearer ${token}` } });
    expect(steward.status).toBe(403);
    await page.close();
  });

  it('shows the audit log to an administrator, with the sign-ins just made', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, 'ada');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const caption = page.locator('table.audit caption');
    await caption.waitFor();
    await expect.poll(async () => Number((await caption.textContent())?.split(' ')[0])).toBeGreaterThan(0);
    expect(await page.locator('main [role="alert"]').count()).toBe(0);
    await page.close();
  });

  it('lets an administrator add a user on the clients and users page, who then signs in', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, 'ada');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clients and users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Clients and users' }).waitFor();
    await page.locator('table.users caption').waitFor();
    const form = page.getByRole('form', { name: 'Add a user' });
    await form.getByLabel('User name').fill('rita');
    await form.getByLabel(/^Password/).fill(PASSWORD);
    await form.getByLabel('Role').selectOption('radiologist');
    await form.getByRole('button', { name: 'Add user' }).click();
    await page.locator('table.users tbody tr', { hasText: 'rita' }).waitFor();
    // The rules of the CLI: a second "rita" is refused with the server's reason.
    await form.getByLabel('User name').fill('rita');
    await form.getByLabel(/^Password/).fill(PASSWORD);
    await form.getByRole('button', { name: 'Add user' }).click();
    expect(await form.getByRole('alert').textContent()).toContain('already exists');
    await screenshot(page, 'access');
    await page.close();

    const rita = await browser.newPage();
    await signIn(rita, 'rita');
    expect(await rita.locator('.who').textContent()).toContain('radiologist');
    await rita.close();
  });

  it('refuses the clients and users page to a non-administrator, and so does the API', async () => {
    const page = await browser.newPage();
    const token = await signIn(page, 'cathy');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clients and users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Clients and users' }).waitFor();
    expect(await page.getByRole('alert').first().textContent()).toMatch(/needs the role administrator/);
    expect(await page.locator('table.users').count()).toBe(0);
    for (const path of ['/api/admin/users', '/api/admin/clients']) {
      const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, path).toBe(403);
    }
    const add = await fetch(`${server.url}/api/admin/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'mallory', password: PASSWORD, role: 'administrator' }),
    });
    expect(add.status).toBe(403);
    await page.close();
  });

  /** Through the real login and consent pages; resolves with the bearer token the console then sends. */
  async function signIn(page: Page, username: string): Promise<string> {
    let token: string | undefined;
    page.on('request', (r) => {
      const h = r.headers().authorization;
      if (h?.startsWith('Bearer ')) token = h.slice(7);
    });
    if (!page.url().startsWith(server.url)) await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/oauth\/interaction\//);
    await page.locator('#username').fill(username);
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/oauth') && !u.pathname.startsWith('/auth/callback'));
    await page.getByText(`Signed in as`).waitFor();
    // One API call, to capture the token as it is sent.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'System status' }).click();
    await page.getByRole('heading', { level: 1, name: 'System status' }).waitFor();
    await expect.poll(() => token).toBeDefined();
    return token!;
  }
});
