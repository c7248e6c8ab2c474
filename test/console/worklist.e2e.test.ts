/**
 * The worklist page in headless Chromium against the real server (dist/cli/main.js, --auth none):
 * the list in score order with tiers, the explanation with the patient link, a live move when a
 * code-stroke flag is raised (over the fetch-streamed events), and axe-core on the page.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer, startTestServer } from '../support/server.js';
import { CHEST, Fhir, HEAD, MIN } from '../worklist-support.js';
import {
  browserTestsUnavailable,
  describeViolations,
  launchBrowser,
  screenshot,
  seriousViolations,
  watchProblems,
} from './browser.js';

const unavailable = browserTestsUnavailable();
if (unavailable) console.warn(`worklist browser test skipped: ${unavailable}`);

const ROOT = '1.2.826.0.1.3680043.10.1456.78';

describe.skipIf(unavailable !== undefined)('the worklist page (--auth none)', () => {
  let server: SpawnedServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let fhir: Fhir;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({}, { spawn: true }), launchBrowser()]);
    fhir = new Fhir(`${server.url}/fhir`);
    ids.ada = (await fhir.patient('Ada')).id;
    ids.dan = (await fhir.patient('Dan')).id;
    await fhir.order(ids.ada, 'stat', { accession: 'W-1' });
    await fhir.encounter(ids.ada, 'EMER', 'in-progress');
    await fhir.study(ids.ada, `${ROOT}.1`, {
      started: Date.now() - MIN,
      site: CHEST,
      accession: 'W-1',
      description: 'CT chest PE protocol',
    });
    await fhir.study(ids.dan, `${ROOT}.2`, {
      started: Date.now() - 2 * MIN,
      site: HEAD,
      description: 'CT head routine',
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    problems = watchProblems(page);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const rows = () => page.locator('tbody tr[data-study]');

  it('lists the studies by score with their tiers, and passes axe', async () => {
    await page.goto(`${server.url}/worklist`);
    await page.getByRole('heading', { level: 1, name: 'Worklist' }).waitFor();
    await expect.poll(() => rows().count()).toBe(2);
    expect(await rows().nth(0).getAttribute('data-study')).toBe(`${ROOT}.1`);
    expect(await rows().nth(0).locator('[data-tier]').getAttribute('data-tier')).toBe('within-1h');
    expect(await rows().nth(1).locator('[data-tier]').getAttribute('data-tier')).toBe('routine');
    await expect.poll(() => page.getByText(/^Live:/).count()).toBe(1);
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('explains a position term by term and links to the patient view', async () => {
    await page.getByRole('button', { name: 'Explain #1' }).click();
    const why = page.locator('section[aria-labelledby="worklist-why"]');
    await why.waitFor();
    await why.getByText('order priority stat', { exact: false }).waitFor();
    await why.getByText(/current encounter class EMER/).waitFor();
    await screenshot(page, 'worklist');
    expect(await why.getByRole('link', { name: /patient view/ }).getAttribute('href')).toBe(`/patients/${ids.ada}`);
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
  });

  it('moves a study to the top live when a code stroke is raised', async () => {
    await fhir.flag(ids.dan, 'code-stroke', 'active', Date.now() - MIN);
    await expect.poll(() => rows().nth(0).getAttribute('data-study'), { timeout: 5000 }).toBe(`${ROOT}.2`);
    expect(await rows().nth(0).locator('[data-tier]').getAttribute('data-tier')).toBe('read-now');
    expect(problems).toEqual([]);
  });
});
