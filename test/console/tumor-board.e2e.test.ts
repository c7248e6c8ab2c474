/**
 * The console's tumor-board page in headless Chromium against the built server with the demo
 * data: reached from the patient view, the RECIST table with its categories, the lesion trend
 * chart, no CSP problem, no serious axe finding.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDataset } from '../../src/demo/dataset.js';
import { MRN_SYSTEM } from '../../src/demo/identifiers.js';
import { getJson } from '../support/http.js';
import { type SpawnedServer, startTestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import {
  browserTestsUnavailable,
  describeViolations,
  launchBrowser,
  screenshot,
  seriousViolations,
  watchProblems,
} from './browser.js';

const unavailable = browserTestsUnavailable();
if (unavailable) console.warn(`tumor-board browser test skipped: ${unavailable}`);
// The demo's second oncology patient: PD at the last CT (src/demo, fixed seed).
const record = demoDataset().records.filter((r) => r.patient.cohort === 'oncology')[1]!;

describe.skipIf(unavailable !== undefined)('the console tumor-board page (demo data, --auth none)', () => {
  let server: SpawnedServer;
  let browser: Browser;
  let page: Page;
  let patient: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startTestServer({}, { spawn: { args: ['--demo'], startTimeoutMs: 150_000 } }),
      launchBrowser(),
    ]);
    const query = `identifier=${encodeURIComponent(`${MRN_SYSTEM}|${record.patient.mrn}`)}`;
    patient = await waitFor(
      async () => {
        const { body } = await getJson(`${server.url}/api/oncology/summary?${query}`);
        return body.timepoints?.length === record.studies.length ? (body.patient.id as string) : undefined;
      },
      { timeoutMs: 150_000, what: 'every time point of the demo patient' },
    );
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('is reached from the patient view and shows the RECIST table, the trend chart and the working', async () => {
    const problems = watchProblems(page);
    await page.goto(`${server.url}/patients/${patient}`);
    await page.getByRole('link', { name: /Tumor board summary/ }).click();
    await page.getByRole('heading', { level: 1, name: /^Tumor board:/ }).waitFor();
    const table = page.locator('table.recist');
    await table.waitFor();
    const overall = table.getByRole('row', { name: /^Overall/ });
    expect(await overall.getByText('PD').count()).toBeGreaterThan(0);
    expect(await table.getByRole('row', { name: /^Sum of targets/ }).count()).toBe(1);
    const chart = page.getByRole('img', { name: /Lesion sizes over time/ });
    expect(await chart.count()).toBe(1);
    expect(await chart.locator('polyline').count()).toBeGreaterThanOrEqual(5);
    expect(await page.getByText(/≥ 20 % and ≥ 5 mm: progression/).count()).toBeGreaterThan(0);
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    expect(problems).toEqual([]);
    await screenshot(page, 'tumor-board');
  });
});
