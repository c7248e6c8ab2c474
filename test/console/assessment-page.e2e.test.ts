/**
 * The readiness assessment page in headless Chromium against the real server (`--auth none`):
 * it runs POST /api/assessment on the server's own FHIR endpoint and shows readiness, next
 * steps and evidence; no CSP violation, no serious accessibility violation.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer, startTestServer } from '../support/server.js';
import {
  browserTestsUnavailable,
  describeViolations,
  launchBrowser,
  screenshot,
  seriousViolations,
  watchProblems,
} from './browser.js';

const unavailable = browserTestsUnavailable();

describe.skipIf(unavailable !== undefined)('the readiness assessment page', () => {
  let server: SpawnedServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startTestServer({}, { spawn: { startTimeoutMs: 150_000 } }),
      launchBrowser(),
    ]);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    problems = watchProblems(page);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('assesses the FHIR server typed in and shows readiness, next steps and the evidence', async () => {
    await page.goto(`${server.url}/assessment`);
    await page.getByRole('heading', { level: 1, name: 'Readiness assessment' }).waitFor();
    await page.getByLabel('FHIR base URL').fill(`${server.url}/fhir`);
    await page.getByRole('button', { name: 'Run assessment' }).click();
    const readiness = page.getByRole('region', { name: 'Readiness per area' });
    await readiness.waitFor({ timeout: 60_000 });
    expect(await readiness.locator('[data-readiness]').allTextContents()).toEqual([
      'ready',
      'not-assessed',
      'not-assessed',
      'not-assessed',
    ]);
    await page.getByRole('heading', { name: `FHIR — ${server.url}/fhir` }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'metadata' }).first().textContent()).toContain('4.0.1');
    await screenshot(page, 'assessment');
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    expect(problems).toEqual([]);
  }, 120_000);

  it("shows the server's reason when a field is wrong", async () => {
    await page.getByLabel('DIMSE peer').fill('not-a-target');
    await page.getByRole('button', { name: 'Run assessment' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('dimse must be AET@HOST:PORT');
  }, 60_000);
});
