/**
 * The Stroke page pages its checks and follows new ones live, and the stroke panel finds the saved
 * check with an external EHR — in headless Chromium against the real server (dist/, spawned) whose
 * record server is a second instance of ours. Patients have different ids on the two servers and
 * share their MRN.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer, startTestServer, type TestServer } from '../support/server.js';
import {
  browserTestsUnavailable,
  describeViolations,
  launchBrowser,
  screenshot,
  seriousViolations,
  watchProblems,
} from './browser.js';

const unavailable = browserTestsUnavailable();
if (unavailable) console.warn(`console stroke paging tests skipped: ${unavailable}`);

const ROOT = '1.2.826.0.1.3680043.10.1456.80';
const MRN = 'urn:test:mrn';
const COUNT = 52; // one page of 50 and a second of 2

/** Patient n on a server (its own id prefix) and, on ours, its head CT. */
function bundle(prefix: string, from: number, to: number, withStudies: boolean) {
  const entry: unknown[] = [];
  for (let n = from; n <= to; n++) {
    const patient = {
      resourceType: 'Patient',
      id: `${prefix}${n}`,
      name: [{ family: `Stroke${n}`, given: ['Test'] }],
      gender: 'male',
      birthDate: '1950-01-01',
      identifier: [{ system: MRN, value: `S${n}` }],
    };
    entry.push({ resource: patient, request: { method: 'PUT', url: `Patient/${patient.id}` } });
    if (withStudies)
      entry.push({
        resource: {
          resourceType: 'ImagingStudy',
          id: `ct${n}`,
          status: 'available',
          identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${ROOT}.${n}` }],
          subject: { reference: `Patient/${patient.id}` },
          started: new Date(Date.now() - n * 60_000).toISOString(),
          modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }],
          description: 'CT Head without contrast',
        },
        request: { method: 'PUT', url: `ImagingStudy/ct${n}` },
      });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${(await res.text()).slice(0, 300)}`);
}

async function total(base: string): Promise<number> {
  return ((await (await fetch(`${base}/api/stroke/recent?limit=1`)).json()) as { total: number }).total;
}

describe.skipIf(unavailable !== undefined)('the Stroke page and panel with an external EHR (browser)', () => {
  let ehr: TestServer;
  let server: SpawnedServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    ehr = await startTestServer({});
    await post(`${ehr.url}/fhir`, bundle('ehr-', 1, COUNT + 1, false));
    [server, browser] = await Promise.all([
      startTestServer(
        {},
        {
          spawn: { startTimeoutMs: 120_000 },
          configFile: {
            fhir: { servers: { ehr: { baseUrl: `${ehr.url}/fhir`, retries: 0 } } },
            context: { fhirServer: 'ehr' },
          },
        },
      ),
      launchBrowser(),
    ]);
    await post(`${server.url}/fhir`, bundle('p', 1, COUNT, true));
    const deadline = Date.now() + 120_000;
    while ((await total(server.url)) < COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    problems = watchProblems(page);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await ehr?.stop();
  });

  it('pages the checks fifty at a time, newest first', async () => {
    expect(await total(server.url)).toBe(COUNT);
    await page.goto(`${server.url}/stroke`);
    const caption = page.locator('main caption');
    await expect.poll(() => caption.textContent(), { timeout: 30_000 }).toBe(`Checks 1–50 of ${COUNT}`);
    expect(await page.locator('main tbody tr').count()).toBe(50);
    const newer = page.getByRole('button', { name: 'Newer' });
    const older = page.getByRole('button', { name: 'Older' });
    expect(await newer.isDisabled()).toBe(true);
    await older.click();
    await expect.poll(() => caption.textContent()).toBe(`Checks 51–${COUNT} of ${COUNT}`);
    expect(await page.locator('main tbody tr').count()).toBe(2);
    expect(await older.isDisabled()).toBe(true);
    await newer.click();
    await expect.poll(() => caption.textContent()).toBe(`Checks 1–50 of ${COUNT}`);
  });

  it('shows a new check without a reload, from the live event stream', async () => {
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Live' }).count(), { timeout: 15_000 }).toBe(1);
    const fresh = bundle('p', COUNT + 1, COUNT + 1, true);
    await post(`${server.url}/fhir`, fresh);
    const row = page.locator(`main tr[data-study="${ROOT}.${COUNT + 1}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await page.locator('main caption').textContent()).toBe(`Checks 1–50 of ${COUNT + 1}`);
    expect(await page.locator('main tbody tr').first().getAttribute('data-study')).toBe(`${ROOT}.${COUNT + 1}`);
    await screenshot(page, 'stroke-page-live');
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("opens the panel of the EHR's patient on the study of its saved check (linked by MRN)", async () => {
    // The patient view is the context API's: the EHR's Patient id.
    await page.goto(`${server.url}/patients/ehr-7`);
    const panel = page.locator('section[aria-labelledby="section-stroke"]');
    await expect.poll(() => panel.locator('tbody tr').count(), { timeout: 30_000 }).toBe(16);
    expect(await panel.getByLabel('Study').inputValue()).toBe(`${ROOT}.7`);
    expect(await panel.getByRole('button', { name: 'Show the check' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it("opens the EHR's patient from the Stroke page's patient link (by MRN: our Patient id is not the EHR's)", async () => {
    await page.goto(`${server.url}/stroke`);
    const n = COUNT + 1;
    const link = page.locator(`main tr[data-study="${ROOT}.${n}"] td`).nth(1).getByRole('link');
    await link.waitFor({ timeout: 30_000 });
    // The run names our Patient p<n>; the link asks the record server by identifier.
    expect(await link.getAttribute('href')).toBe(`/stroke/patient?identifier=${encodeURIComponent(`${MRN}|S${n}`)}`);
    await link.click();
    await page.waitForURL(`${server.url}/patients/ehr-${n}`, { timeout: 30_000 });
    const panel = page.locator('section[aria-labelledby="section-stroke"]');
    await expect.poll(() => panel.locator('tbody tr').count(), { timeout: 30_000 }).toBe(16);
    expect(await panel.getByLabel('Study').inputValue()).toBe(`${ROOT}.${n}`);
    // Back leaves the resolver out of the history: the Stroke page again.
    await page.goBack();
    await page.waitForURL(`${server.url}/stroke`);
    expect(problems).toEqual([]);
  });

  it("goes back from a run's study to the EHR's patient (the study link carries the identifiers)", async () => {
    await page.goto(`${server.url}/stroke`);
    const n = COUNT + 1;
    const study = page.locator(`main tr[data-study="${ROOT}.${n}"] td`).nth(2).getByRole('link');
    await study.waitFor({ timeout: 30_000 });
    expect(await study.getAttribute('href')).toContain(`identifier=${encodeURIComponent(`${MRN}|S${n}`)}`);
    await study.click();
    const back = page.getByRole('link', { name: '← Back to the patient' });
    await back.waitFor({ timeout: 30_000 });
    expect(await back.getAttribute('href')).toBe(`/stroke/patient?identifier=${encodeURIComponent(`${MRN}|S${n}`)}`);
    await back.click();
    // (No DICOM instances here: the study itself does not load; the link back does not depend on it.)
    await page.waitForURL(`${server.url}/patients/ehr-${n}`, { timeout: 30_000 });
  });

  it('says so when no patient of the record server has the identifier', async () => {
    await page.goto(`${server.url}/stroke/patient?identifier=${encodeURIComponent(`${MRN}|nobody`)}`);
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 30_000 })
      .toMatch(/no Patient with identifier/i);
    expect(page.url()).toContain('/stroke/patient');
  });
});
