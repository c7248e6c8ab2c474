/**
 * The stroke check in the web console, in headless Chromium against the real server with the
 * demo data (`serve --auth none --demo`): the panel in the patient view of a demo stroke
 * candidate, the "Stroke" page listing the demo head CTs with their flags, accessibility; and the
 * panel naming the sources that failed when the EHR is down.
 */
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MRN_SYSTEM } from '../../src/demo/identifiers.js';
import { freePort } from '../support/ports.js';
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
if (unavailable) console.warn(`console stroke tests skipped: ${unavailable}`);

/** Stroke candidate S05 (src/demo/stroke-records.ts): on warfarin, INR 2.6, no AI result yet. */
const S05 = { name: 'Sofia Fischer', mrn: 'IBD100005' };

interface Run {
  studyInstanceUid: string;
  patient: { id: string; name?: string } | null;
  study: { description?: string } | null;
  present: string[];
  unknown: string[];
}
interface Assessment {
  factors: { id: string; status: string; tier: string; reason: string }[];
  referenceTimeSource: string;
}

describe.skipIf(unavailable !== undefined)('the stroke check in the web console (demo data, --auth none)', () => {
  let server: SpawnedServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let runs: Run[];

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startTestServer({}, { spawn: { args: ['--demo'], startTimeoutMs: 150_000 } }),
      launchBrowser(),
    ]);
    // Every demo stroke candidate's head CT is checked once the bridge has written it.
    const deadline = Date.now() + 120_000;
    do {
      runs = (await getJson<{ runs: Run[] }>(`${server.url}/api/stroke/recent?limit=100`)).runs;
      if (runs.filter((r) => /CT Head/.test(r.study?.description ?? '')).length >= 20) break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    problems = watchProblems(page);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the sixteen factors of the demo stroke patient’s head CT in the patient view, as the API answers them', async () => {
    const id = await patientId(server.url, S05.mrn);
    const run = runs.find((r) => r.patient?.id === id);
    expect(run, 'S05 has a persisted check').toBeDefined();
    const api = await getJson<Assessment>(
      `${server.url}/api/stroke/assessment?patient=${id}&study=${run!.studyInstanceUid}`,
    );
    await page.goto(`${server.url}/patients/${id}`);
    const panel = page.locator('section[aria-labelledby="section-stroke"]');
    const rows = panel.locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(16);
    // The study of the latest check is chosen by itself.
    expect(await panel.getByLabel('Study').inputValue()).toBe(run!.studyInstanceUid);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute('data-factor'),
        status: tr.querySelector('.status')?.textContent,
        tier: tr.querySelectorAll('td')[1]?.textContent,
      })),
    );
    expect(shown).toEqual(api.factors.map((f) => ({ id: f.id, status: f.status, tier: f.tier })));
    // What the record says (INR 2.6 on warfarin, no DOAC, no AI result on the CT yet, 75 years old).
    const row = (factor: string) => panel.locator(`tr[data-factor="${factor}"]`);
    expect(await row('coagulation').locator('.status').textContent()).toBe('present');
    expect(await row('coagulation').textContent()).toContain('INR 2.6');
    expect(await row('doac').locator('.status').textContent()).toBe('absent');
    expect(await row('current-hemorrhage').locator('.status').textContent()).toBe('unknown');
    expect(await row('pregnancy').locator('.status').textContent()).toBe('absent');
    expect(await row('coagulation').locator('td').nth(1).textContent()).toBe('absolute');
    // Reference time and its source; every source answered, so no failure banner.
    expect(await panel.locator('.stroke-reference').textContent()).toMatch(
      api.referenceTimeSource === 'study' ? /the study's start/ : /Reference time/,
    );
    expect(await panel.locator('.stroke-sources').count()).toBe(0);
    // The evidence: the INR Observation, opened from the row.
    const evidence = row('coagulation').locator('.evidence details').first();
    await evidence.locator('summary').click();
    await expect.poll(() => evidence.locator('pre').textContent()).toContain('"resourceType": "Observation"');
    await screenshot(page, 'stroke-panel');

    // The guideline switch asks again and shows the 2019 words.
    await panel.getByRole('button', { name: 'AHA/ASA 2019' }).click();
    await expect.poll(() => row('coagulation').locator('td').nth(1).textContent()).toBe('contraindicated');
    expect(await panel.locator('caption').textContent()).toContain('aha-2019');
    expect(problems).toEqual([]);
  });

  it('lists the demo head CTs with their present and unknown counts on the Stroke page', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stroke' }).click();
    await page.getByRole('heading', { level: 1, name: /Stroke/ }).waitFor();
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.filter({ hasText: 'CT Head' }).count()).toBeGreaterThanOrEqual(20);
    for (const r of runs.filter((x) => /CT Head/.test(x.study?.description ?? ''))) {
      const tr = page.locator(`tr[data-study="${r.studyInstanceUid}"]`);
      expect(await tr.locator('td.present .count').textContent()).toBe(String(r.present.length));
      expect(await tr.locator('td.unknown .count').textContent()).toBe(String(r.unknown.length));
    }
    const s05 = page.locator('tbody tr', { hasText: S05.name });
    expect(await s05.locator('td.present').textContent()).toContain('coagulation');
    await screenshot(page, 'stroke-page');
    // From the list to the patient view.
    await s05.getByRole('link', { name: S05.name }).click();
    await page.getByRole('heading', { level: 1, name: S05.name }).waitFor();
    expect(problems).toEqual([]);
  });

  it('has no serious or critical accessibility violations on the stroke page and panel (axe-core, WCAG 2.1 AA)', async () => {
    for (const path of ['/stroke', `/patients/${await patientId(server.url, S05.mrn)}`]) {
      await page.goto(`${server.url}${path}`);
      await page.locator('main h1').first().waitFor();
      await page.locator('main tbody tr').first().waitFor();
      // The Stroke page keeps its event stream open, so its network is never idle: wait until it is live.
      if (path === '/stroke') await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
      else await page.waitForLoadState('networkidle');
      const violations = await seriousViolations(page);
      expect(violations, `${path}:\n${describeViolations(violations)}`).toEqual([]);
    }
  });
});

describe.skipIf(unavailable !== undefined)('the stroke panel with the EHR down', () => {
  let ehr: Server;
  let server: SpawnedServer;
  let browser: Browser;

  beforeAll(async () => {
    // An EHR that answers the patient, fails every search (500) except observations, which never answer.
    ehr = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path.endsWith('/Observation')) return;
      res.setHeader('content-type', 'application/fhir+json');
      if (path.endsWith('/Patient/ehr-1'))
        return res.end(
          JSON.stringify({
            resourceType: 'Patient',
            id: 'ehr-1',
            gender: 'male',
            name: [{ family: 'Down', given: ['Ehr'] }],
            identifier: [{ system: MRN_SYSTEM, value: 'EXT-1' }],
          }),
        );
      res.statusCode = 500;
      res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] }));
    });
    const port = await freePort();
    await new Promise<void>((r) => ehr.listen(port, '127.0.0.1', r));
    [server, browser] = await Promise.all([
      startTestServer(
        {},
        {
          spawn: { startTimeoutMs: 120_000 },
          configFile: {
            fhir: { servers: { ehr: { baseUrl: `http://127.0.0.1:${port}/fhir`, retries: 0, timeoutMs: 2000 } } },
            context: { fhirServer: 'ehr', timeoutMs: 300 },
          },
        },
      ),
      launchBrowser(),
    ]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    ehr?.closeAllConnections();
    await new Promise((r) => ehr?.close(r));
  });

  it('shows the check on request, names the sources that failed and leaves their factors unknown', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = watchProblems(page);
    await page.goto(`${server.url}/patients/ehr-1`);
    const panel = page.locator('section[aria-labelledby="section-stroke"]');
    // No check on record (no head study): the panel waits to be asked.
    await panel.getByRole('button', { name: 'Show the check' }).click();
    const failed = panel.locator('.stroke-sources');
    await failed.waitFor();
    expect(await failed.textContent()).toMatch(/observations: timeout/);
    expect(await failed.textContent()).toMatch(/conditions: error/);
    for (const factor of ['platelets', 'doac', 'prior-ich', 'current-hemorrhage'])
      expect(await panel.locator(`tr[data-factor="${factor}"] .status`).textContent(), factor).toBe('unknown');
    // A male patient: pregnancy needs no record.
    expect(await panel.locator('tr[data-factor="pregnancy"] .status').textContent()).toBe('absent');
    expect(await panel.locator('.stroke-reference').textContent()).toMatch(
      /now \(no last-known-well time and no study\)/,
    );
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

async function patientId(base: string, mrn: string): Promise<string> {
  const bundle = await getJson<{ entry: { resource: { id: string } }[] }>(
    `${base}/fhir/Patient?identifier=${encodeURIComponent(`${MRN_SYSTEM}|${mrn}`)}`,
  );
  return bundle.entry[0].resource.id;
}
