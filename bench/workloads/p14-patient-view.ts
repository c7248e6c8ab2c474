/**
 * P14: the console's patient view in a real browser (headless Chromium from Debian, driven by
 * playwright-core) on our server with --demo: from navigation to /patients/{id} to every section
 * drawn (header, imaging timeline, labs and vitals, the clinical sections, no "Loading…" left);
 * median of 5 navigations after one untimed. Thumbnails are fetched after the sections are drawn
 * and are not waited for (P13 times them). Also the JavaScript the first page ships, gzipped.
 * Ours only: Orthanc has no patient view.
 */
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { MRN_SYSTEM } from '../../src/demo/identifiers.js';
import { startTestServer } from '../../test/support/server.js';
import { httpCall } from '../http-client.js';
import { median } from '../stats.js';
import type { BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

const CHROMIUM = '/usr/bin/chromium';
/** The demo's stroke patient (src/demo, fixed seed): a CT head study, labs, problems, medications. */
const DEMO_MRN = 'IBD100005';
const SECTIONS = ['observations', 'conditions', 'medications', 'encounters', 'reports'];

export interface P14Options {
  navigations?: number;
  start: () => Promise<{ url: string; stop(): Promise<void> }>;
  log?: (line: string) => void;
}

export interface P14Result {
  medianMs: number;
  timesMs: number[];
  firstPageScripts: number;
  firstPageGzipBytes: number;
}

export async function runP14(opts: P14Options): Promise<P14Result> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium)`);
  const { chromium } = await import('playwright-core');
  const server = await opts.start();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const patientId = await demoPatientId(server.url);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // First page: every script it loads, gzipped (what a browser downloads with gzip on).
    const scripts: Promise<Buffer>[] = [];
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.push(r.body());
    });
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Find a patient' }).waitFor();
    await page.waitForLoadState('networkidle');
    const bodies = await Promise.all(scripts);
    page.removeAllListeners('response');
    const firstPageGzipBytes = bodies.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
    const navigations = opts.navigations ?? 5;
    const timesMs: number[] = [];
    for (let i = 0; i <= navigations; i++) {
      await page.goto('about:blank');
      const started = performance.now();
      await page.goto(`${server.url}/patients/${encodeURIComponent(patientId)}`);
      await page.locator('.patient-header').waitFor();
      for (const s of SECTIONS) await page.locator(`section[aria-labelledby="section-${s}"]`).waitFor();
      await page.locator('section[aria-labelledby="section-imagingStudies"]').waitFor();
      // Nothing still loading (polled: the console's CSP forbids evaluating a predicate in the page).
      while ((await page.locator('main [aria-busy="true"]').count()) > 0) await page.waitForTimeout(5);
      const ms = performance.now() - started;
      if (i > 0) timesMs.push(ms); // the first navigation warms the server and the browser cache
      opts.log?.(`  P14 navigation ${i}${i === 0 ? ' (untimed)' : ''}: ${ms.toFixed(0)} ms`);
    }
    return { medianMs: median(timesMs), timesMs, firstPageScripts: bodies.length, firstPageGzipBytes };
  } finally {
    await browser.close();
    await server.stop();
  }
}

/** The demo patient's FHIR id, once the server has loaded the demo data. */
async function demoPatientId(url: string): Promise<string> {
  const r = await httpCall(`${url}/fhir/Patient?identifier=${encodeURIComponent(`${MRN_SYSTEM}|${DEMO_MRN}`)}`, {
    timeoutMs: 30_000,
  });
  const id = (JSON.parse(r.body.toString()) as { entry?: { resource: { id: string } }[] }).entry?.[0]?.resource.id;
  if (!id) throw new Error(`P14: no demo patient ${DEMO_MRN}`);
  return id;
}

/** P14 as a bench/run.ts workload: our built server (dist/cli/main.js, which serves the built console) with --demo. */
export async function runP14Workload(ctx: BenchContext): Promise<WorkloadResult> {
  const errors: string[] = [];
  let result: P14Result | undefined;
  const dir = ctx.scratch.dir('ours-p14');
  try {
    await ctx.quiet('P14');
    result = await runP14({
      log: ctx.log,
      start: async () => {
        const b = await startTestServer(
          { 'data-dir': dir, 'log-level': 'warn' },
          {
            spawn: {
              args: ['--demo'],
              startTimeoutMs: 180_000,
              ...(ctx.bridgeEntry ? { entry: ctx.bridgeEntry } : {}),
            },
          },
        );
        return { url: b.url, stop: () => b.stop() };
      },
    });
  } catch (err) {
    errors.push(`P14: ${(err as Error).message}`);
  } finally {
    ctx.scratch.remove(dir);
  }
  const ours = (v: number | undefined) => (v === undefined ? {} : { ours: v });
  return {
    id: 'P14',
    title: 'Console patient view in the browser (demo data)',
    rows: [
      {
        workload: 'P14',
        metric: 'patient view, navigation → all sections drawn (median of 5)',
        unit: 'ms',
        better: 'lower',
        values: ours(result?.medianMs),
        target: { text: '≤ 1000 ms', maxOurs: 1000 },
      },
      {
        workload: 'P14',
        metric: 'first page JavaScript, gzipped',
        unit: 'KB',
        better: 'lower',
        values: ours(result && result.firstPageGzipBytes / 1024),
        target: { text: '≤ 300 KB', maxOurs: 300 },
      },
    ],
    notes: [
      `Headless Chromium (${CHROMIUM}) on loopback, 1280×800; the patient ${DEMO_MRN}. Time from page.goto to the header and every section present with nothing still loading (thumbnails not waited for). One untimed navigation first. First page = / (patient search): every script the browser loads, gzip -9.`,
    ],
    raw: { result },
    errors,
  };
}
