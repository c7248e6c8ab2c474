/**
 * The web console in headless Chromium against the real server with the demo data
 * (`serve --auth none --demo`): the page at `/`, patient search → patient view, the study
 * viewer, the operators' pages, accessibility (axe-core), both screen sizes, and the size of
 * the first page's JavaScript. Screenshots go to docs/ui/.
 */
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctInstance, ROOT } from '../../src/dicom/test-support.js';
import { type SpawnedServer, startTestServer } from '../support/server.js';
import {
  browserTestsUnavailable,
  describeViolations,
  imagePixels,
  imageVariety,
  launchBrowser,
  screenshot,
  seriousViolations,
  statusOf,
  watchProblems,
} from './browser.js';

const unavailable = browserTestsUnavailable();
if (unavailable) console.warn(`console browser tests skipped: ${unavailable}`);

/** The demo's stroke patient with a CT head study and labs (src/demo, fixed seed). */
const DEMO = { name: 'Sofia Fischer', mrn: 'IBD100005', birthDate: '1951-10-23', accession: 'ACC00501' };

describe.skipIf(unavailable !== undefined)('the web console (demo data, --auth none)', () => {
  let server: SpawnedServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let study: { uid: string; series: string };

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startTestServer({}, { spawn: { args: ['--demo'], startTimeoutMs: 150_000 } }),
      launchBrowser(),
    ]);
    study = await demoStudy(server.url);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    problems = watchProblems(page);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the console at / (no 404) with the "authentication off" banner and strict security headers', async () => {
    const res = await page.goto(`${server.url}/`);
    expect(res?.status()).toBe(200);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    await expect
      .poll(() =>
        page
          .getByRole('status')
          .filter({ hasText: /authentication off/i })
          .count(),
      )
      .toBe(1);
    await expect.poll(() => page.getByRole('heading', { name: 'Find a patient' }).count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it('finds the demo patient by a name prefix in another case and with an accent, and shows her studies and labs', async () => {
    await search(page, 'FÍSCH');
    await screenshot(page, 'search');
    await page.getByRole('link', { name: DEMO.name }).click();
    await page.getByRole('heading', { level: 1, name: DEMO.name }).waitFor();
    const imaging = page.locator('section[aria-labelledby="section-imagingStudies"]');
    await imaging.getByText('CT Head without contrast').first().waitFor();
    const labs = page.locator('section[aria-labelledby="section-observations"]');
    await labs
      .getByText(/Glucose/)
      .first()
      .waitFor();
    expect(await labs.locator('figure.trend').count()).toBeGreaterThan(3);
    // Reference ranges from the Observations, drawn as a band behind the values.
    expect(await labs.locator('figure.trend svg rect.range').count()).toBeGreaterThan(0);
    expect(await labs.locator('figure.trend figcaption', { hasText: /ref \d/ }).count()).toBeGreaterThan(0);
    expect(await page.locator('.patient-header').textContent()).toContain(DEMO.mrn);
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'patient');
    expect(problems).toEqual([]);
  });

  it('finds the same patient by MRN, birth date and accession number', async () => {
    for (const q of [DEMO.mrn, DEMO.birthDate, DEMO.accession]) {
      await search(page, q);
      expect(await page.getByRole('link', { name: DEMO.name }).count(), q).toBe(1);
    }
  });

  it('shows a decoded thumbnail per series (not blank)', async ({ skip }) => {
    const status = await statusOf(`${server.url}/dicomweb/studies/${study.uid}/series/${study.series}/thumbnail`);
    if (status === 404) skip('the thumbnail resource answers 404 here: the server-side rendering is not merged yet');
    await openPatient(page);
    await page.locator('img.thumb').first().waitFor();
    const { width, varied } = await imageVariety(page, 'img.thumb');
    expect(width).toBeGreaterThan(0);
    expect(varied).toBeGreaterThan(0.05);
  });

  it('shows a visible "no preview" placeholder where the server has no rendered image', async ({ skip }) => {
    const status = await statusOf(`${server.url}/dicomweb/studies/${study.uid}/series/${study.series}/thumbnail`);
    if (status !== 404 && status !== 406) skip(`the thumbnail resource answers ${status}: previews are rendered`);
    await openPatient(page);
    await page.locator('.no-preview', { hasText: 'no preview' }).first().waitFor();
  });

  it('opens the CT series in the viewer and scrolls through its frames with keys, wheel and slider', async () => {
    await openPatient(page);
    await page
      .getByRole('link', { name: /CT Head without contrast/ })
      .first()
      .click();
    const stage = page.getByRole('slider', { name: /Images/ });
    await stage.waitFor();
    const frameNumber = page.locator('.overlay .frame-number');
    await expect.poll(() => frameNumber.textContent()).toBe('1 / 4');
    await stage.focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => frameNumber.textContent()).toBe('2 / 4');
    await stage.hover();
    await page.mouse.wheel(0, 120);
    await expect.poll(() => frameNumber.textContent()).toBe('3 / 4');
    await page.getByRole('slider', { name: 'Frame' }).fill('4');
    await expect.poll(() => frameNumber.textContent()).toBe('4 / 4');
    await page.keyboard.press('Home');
    // The attributes of the current instance, from WADO-RS metadata.
    await page.getByRole('heading', { name: 'DICOM attributes' }).waitFor();
    expect(await page.locator('.attributes').textContent()).toContain('(0020,000D)');
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'study');
  });

  it('changes the pixels when a window preset is chosen', async ({ skip }) => {
    const sop = await firstInstance(server.url, study);
    const status = await statusOf(
      `${server.url}/dicomweb/studies/${study.uid}/series/${study.series}/instances/${sop}/frames/1/rendered`,
    );
    if (status === 404) skip('the rendered resource answers 404 here: the server-side rendering is not merged yet');
    await page.goto(`${server.url}/studies/${study.uid}?series=${study.series}`);
    await page.locator('img.frame').waitFor();
    const before = await imagePixels(page, 'img.frame');
    const sent = page.waitForRequest((r) => r.url().includes('/rendered?window=400,1800'));
    await page.getByRole('button', { name: 'Bone' }).click();
    await sent;
    // The new frame replaces the old one once its blob is decoded: poll until it shows.
    await expect
      .poll(async () => JSON.stringify(await imagePixels(page, 'img.frame')) !== JSON.stringify(before), {
        timeout: 15_000,
      })
      .toBe(true);
  });

  it('opens every operators’ page from the navigation without an error', async () => {
    await page.goto(`${server.url}/`);
    for (const [link, heading, shot] of [
      ['System status', 'System status', 'status'],
      ['Data quality', 'Data quality', 'data-quality'],
      ['FHIR sync', 'FHIR sync', 'sync'],
      ['PACS sources', 'PACS sources', 'sources'],
      ['Audit log', 'Audit log', 'audit'],
      ['Clients and users', 'Clients and users', 'access'],
    ]) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.waitForLoadState('networkidle');
      expect(
        await page.locator('main [role="alert"]').count(),
        `${link}: ${await page.locator('main').textContent()}`,
      ).toBe(0);
      if (shot === 'status' || shot === 'audit') await screenshot(page, shot);
    }
    // Under --auth none nobody signs in: the accounts page says so instead of listing them.
    expect(await page.locator('main').textContent()).toContain('Authentication is off');
    expect(problems).toEqual([]);
  });

  it('releases a quarantined study from the data-quality page, with a reason, and it becomes an ImagingStudy', async () => {
    const uid = `${ROOT}.616.${process.pid}`;
    const [studyUid, series] = [`${uid}.1`, `${uid}.2`];
    // Two instances that disagree on the patient: the bridge holds the study.
    await stow(server.url, [
      ctInstance({ study: studyUid, series, sop: `${uid}.3`, patientId: 'CONSOLE-1' }),
      ctInstance({ study: studyUid, series, sop: `${uid}.4`, patientId: 'CONSOLE-1X' }),
    ]);
    await expect
      .poll(
        async () =>
          (await getJson<{ studies: { studyUid: string }[] }>(`${server.url}/api/quarantine`)).studies.map(
            (q) => q.studyUid,
          ),
        {
          timeout: 60_000,
        },
      )
      .toContain(studyUid);
    await page.goto(`${server.url}/status`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Data quality' }).click();
    const card = page.locator('li.card', { hasText: studyUid });
    await card.getByText('conflicting-patient').first().waitFor();
    await screenshot(page, 'data-quality');
    await card.getByLabel('Reason').fill('same patient, checked with the ward');
    await card.getByRole('button', { name: 'Release' }).click();
    await card.waitFor({ state: 'detached' });
    await expect
      .poll(
        async () =>
          (
            await getJson<{ total?: number; entry?: unknown[] }>(
              `${server.url}/fhir/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${studyUid}`)}`,
            )
          ).entry?.length ?? 0,
        { timeout: 60_000 },
      )
      .toBe(1);
    const shown = await getJson<{ entry: { state: string; comment: string } }>(
      `${server.url}/api/quarantine/${studyUid}`,
    );
    expect(shown.entry).toMatchObject({ state: 'released', comment: 'same patient, checked with the ward' });
  });

  it('has no serious or critical accessibility violations on the main pages (axe-core, WCAG 2.1 AA)', async () => {
    const pages = [
      '/',
      `/?q=${DEMO.mrn}`,
      `/patients/${await patientId(server.url)}`,
      `/studies/${study.uid}?series=${study.series}`,
      '/status',
      '/data-quality',
      '/sync',
      '/audit',
    ];
    for (const path of pages) {
      await page.goto(`${server.url}${path}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      const violations = await seriousViolations(page);
      expect(violations, `${path}:\n${describeViolations(violations)}`).toEqual([]);
    }
  });

  it('lays out on a 1280×800 laptop and a 1920×1080 reading-room monitor without horizontal scrolling', async () => {
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 1920, height: 1080 },
    ]) {
      const p = await browser.newPage({ viewport });
      for (const path of ['/', `/patients/${await patientId(server.url)}`, `/studies/${study.uid}`]) {
        await p.goto(`${server.url}${path}`);
        await p.locator('main h1').first().waitFor();
        await p.waitForLoadState('networkidle');
        const overflow = (await p.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        expect(overflow, `${viewport.width}×${viewport.height} ${path}`).toBeLessThanOrEqual(0);
      }
      if (viewport.width === 1920) await screenshot(p, 'patient-1920');
      await p.close();
    }
  });

  it('ships at most 300 KB of gzipped JavaScript for the first page', async () => {
    const p = await browser.newPage();
    const scripts: Promise<Buffer>[] = [];
    p.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.push(r.body());
    });
    await p.goto(`${server.url}/`);
    await p.getByRole('heading', { name: 'Find a patient' }).waitFor();
    await p.waitForLoadState('networkidle');
    const gzipped = (await Promise.all(scripts)).reduce((sum, b) => sum + gzipSync(b, { level: 9 }).length, 0);
    console.log(`first page: ${scripts.length} script(s), ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(scripts.length).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(300 * 1024);
    await p.close();
  });

  async function openPatient(p: Page): Promise<void> {
    await p.goto(`${server.url}/patients/${await patientId(server.url)}`);
    await p.getByRole('heading', { level: 1, name: DEMO.name }).waitFor();
  }
});

async function search(page: Page, q: string): Promise<void> {
  if (!page.url().match(/\/(\?|$)/)) await page.getByRole('link', { name: 'Find a patient' }).click();
  const box = page.getByRole('searchbox');
  await box.fill(q);
  await page.getByRole('button', { name: 'Search' }).click();
  await page
    .getByRole('table')
    .or(page.getByText(/No patient matches/))
    .waitFor();
}

async function stow(base: string, files: Buffer[]): Promise<void> {
  const boundary = 'console-e2e-part';
  const body = Buffer.concat([
    ...files.flatMap((f) => [
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
      f,
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  const res = await fetch(`${base}/dicomweb/studies`, {
    method: 'POST',
    headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
    body,
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

async function patientId(base: string): Promise<string> {
  const bundle = await getJson<{ entry: { resource: { id: string } }[] }>(
    `${base}/fhir/Patient?identifier=${encodeURIComponent(DEMO.mrn)}`,
  );
  return bundle.entry[0].resource.id;
}

/** The demo patient's CT study, once the bridge has synced it (it starts syncing after the server listens). */
async function demoStudy(base: string): Promise<{ uid: string; series: string }> {
  const id = await patientId(base);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const c = await getJson<{ imagingStudies?: { studyInstanceUid: string; series?: { uid: string }[] }[] }>(
      `${base}/api/context?patient=${id}&include=imagingStudies`,
    );
    const s = c.imagingStudies?.find((x) => x.series?.length);
    if (s) return { uid: s.studyInstanceUid, series: s.series![0].uid };
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the demo study was not synced to FHIR within 90 s');
}

async function firstInstance(base: string, s: { uid: string; series: string }): Promise<string> {
  const list = await getJson<Record<string, { Value?: string[] }>[]>(
    `${base}/dicomweb/studies/${s.uid}/series/${s.series}/instances`,
  );
  return list[0]['00080018'].Value![0];
}
