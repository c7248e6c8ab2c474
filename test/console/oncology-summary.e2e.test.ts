/**
 * The printable tumor-board summary (text/html) of a demo patient in headless Chromium: no CSP
 * violation (no script, the style block allowed by hash), no serious axe finding, one or two A4
 * pages. Its PDF and PNG go to docs/oncology/ with UPDATE_UI_SCREENSHOTS=1 (else a temp folder).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDataset } from '../../src/demo/dataset.js';
import { MRN_SYSTEM } from '../../src/demo/identifiers.js';
import { getJson } from '../support/http.js';
import { REPO_ROOT, startTestServer, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { CHROMIUM, describeViolations, launchBrowser, seriousViolations, watchProblems } from './browser.js';

const FAST_BRIDGE = { bridge: { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 } };
// The demo's second oncology patient: two treatment lines, PD at the last CT (src/demo, fixed seed).
const record = demoDataset().records.filter((r) => r.patient.cohort === 'oncology')[1]!;
const OUT =
  process.env.UPDATE_UI_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs/oncology') : join(tmpdir(), 'ib-oncology');

describe.skipIf(!existsSync(CHROMIUM))('the printable tumor-board summary in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startTestServer({ demo: 'true' }, { configFile: FAST_BRIDGE }),
      launchBrowser(),
    ]);
    const query = `identifier=${encodeURIComponent(`${MRN_SYSTEM}|${record.patient.mrn}`)}`;
    await waitFor(
      async () =>
        (await getJson(`${server.url}/api/oncology/summary?${query}`)).body.timepoints?.length === record.studies.length
          ? true
          : undefined,
      { timeoutMs: 90_000, what: 'every time point of the demo patient' },
    );
    url = `${server.url}/api/oncology/summary?${query}&question=${encodeURIComponent('Progression on FOLFOX: second line or a trial?')}`;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('renders without script or CSP violation, passes axe, and prints on one or two A4 pages', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1270 } });
    const problems = watchProblems(page);
    const res = await page.goto(url);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toMatch(/^text\/html/);
    await page.getByRole('heading', { level: 1, name: 'Tumor board summary' }).waitFor();
    expect(await page.locator('script').count()).toBe(0);
    // The style block applied (allowed by its hash): table cells have borders.
    expect(
      await page
        .locator('td')
        .first()
        .evaluate((el) => (globalThis as any).getComputedStyle(el).borderTopStyle),
    ).toBe('solid');
    await expect.poll(() => page.getByText('Progression on FOLFOX').count()).toBe(1);
    expect(await page.getByRole('cell', { name: 'PD' }).count()).toBeGreaterThan(0);
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    expect(problems).toEqual([]);

    mkdirSync(OUT, { recursive: true });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(2);
    writeFileSync(join(OUT, 'tumor-board-summary.pdf'), pdf);
    writeFileSync(join(OUT, 'tumor-board-summary.png'), await page.screenshot({ fullPage: true }));
  });
});
