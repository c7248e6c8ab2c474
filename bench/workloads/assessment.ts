/**
 * ASSESS: `imaging-bridge assess` over a PACS with N studies in the window and a FHIR server
 * holding the same (issue 20: 10,000 studies ≤ 30 s). Our server plays both: N one-instance
 * studies are stored with STOW-RS and its bridge writes their ImagingStudy resources to its
 * embedded FHIR server; then the assessment (FHIR + DICOMweb probes, QIDO paging, the window
 * search and batched identifier searches) is timed. Ours only.
 *
 * A tiny run without the bench harness: node --import tsx bench/workloads/assessment.ts --studies 50
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { assess } from '../../src/assessment/index.js';
import { ctInstance } from '../../src/dicom/test-support.js';
import { multipartBody } from '../../test/support/multipart.js';
import { waitFor } from '../../test/support/wait.js';
import type { BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

export interface AssessBenchOptions {
  studies: number;
  runs: number;
  /** Starts our server on a data folder: its base URL (…/dicomweb and …/fhir below it). */
  start: () => Promise<{ url: string; stop(): Promise<void> }>;
  log?: (line: string) => void;
}

export interface AssessBenchResult {
  studies: number;
  loadMs: number;
  /** One per run. */
  assessMs: number[];
  matched: number;
}

const ROOT = '1.2.826.0.1.3680043.10.1456.20';
const BATCH = 100;

export async function runAssessBench(o: AssessBenchOptions): Promise<AssessBenchResult> {
  const log = o.log ?? (() => undefined);
  const server = await o.start();
  try {
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    const started = performance.now();
    for (let first = 0; first < o.studies; first += BATCH) {
      const files = [];
      for (let n = first; n < Math.min(o.studies, first + BATCH); n++)
        files.push(
          ctInstance({
            study: `${ROOT}.${n}`,
            series: `${ROOT}.${n}.1`,
            sop: `${ROOT}.${n}.1.1`,
            patientId: `B${n % 997}`,
            studyDate: today,
            rows: 2,
            columns: 2,
          }),
        );
      const { body, contentType } = multipartBody(files);
      const res = await fetch(`${server.url}/dicomweb/studies`, {
        method: 'POST',
        body,
        headers: { 'content-type': contentType },
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`STOW answered ${res.status}`);
    }
    const synced = async () => {
      const res = await fetch(`${server.url}/fhir/ImagingStudy?_summary=count`);
      return ((await res.json()) as { total?: number }).total === o.studies;
    };
    await waitFor(synced, { timeoutMs: 30 * 60_000, intervalMs: 1000, what: `${o.studies} ImagingStudy resources` });
    const loadMs = performance.now() - started;
    log(`ASSESS: ${o.studies} studies stored and synced in ${(loadMs / 1000).toFixed(1)} s`);
    const assessMs: number[] = [];
    let matched = 0;
    for (let run = 0; run < o.runs; run++) {
      const now = new Date();
      const t = performance.now();
      const a = await assess(
        {
          fhir: { url: `${server.url}/fhir` },
          dicomweb: { url: `${server.url}/dicomweb`, headers: {} },
          callingAe: 'IMGBRIDGE',
        },
        { since: new Date(now.getTime() - 30 * 86_400_000), timeoutMs: 60_000, probeStow: false, now },
      );
      assessMs.push(performance.now() - t);
      matched = a.dataFlow?.matched ?? 0;
      if (matched !== o.studies) throw new Error(`the assessment matched ${matched} of ${o.studies} studies`);
      log(`ASSESS run ${run + 1}: ${(assessMs[run]! / 1000).toFixed(2)} s, ${matched} matched`);
    }
    return { studies: o.studies, loadMs, assessMs, matched };
  } finally {
    await server.stop();
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;

export async function runAssessWorkload(ctx: BenchContext, studies = 10_000): Promise<WorkloadResult> {
  const ours = ctx.factories.find((f) => f.side === 'ours');
  const errors: string[] = [];
  let result: AssessBenchResult | undefined;
  const dir = ctx.scratch.dir('ours-assess');
  try {
    if (!ours) throw new Error('needs our server');
    await ctx.quiet('ASSESS');
    result = await runAssessBench({
      studies,
      runs: ctx.options.runs,
      log: ctx.log,
      start: async () => {
        const s = await ours.start(dir);
        return { url: s.dicomWebUrl.replace(/\/dicomweb$/, ''), stop: () => s.stop() };
      },
    });
  } catch (err) {
    errors.push(`ASSESS: ${(err as Error).message}`);
  } finally {
    ctx.scratch.remove(dir);
  }
  return {
    id: 'ASSESS',
    title: `Readiness assessment of ${studies.toLocaleString('en')} studies (PACS and FHIR)`,
    rows: [
      {
        workload: 'ASSESS',
        metric: `assess ${studies} studies`,
        unit: 'ms',
        better: 'lower',
        values: result ? { ours: median(result.assessMs) } : {},
        target: { text: '≤ 30 s', maxOurs: 30_000 },
      },
    ],
    notes: result ? [`Load (STOW + bridge sync, not part of the figure): ${(result.loadMs / 1000).toFixed(1)} s.`] : [],
    raw: result ? { ...result } : {},
    errors,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { studies: { type: 'string' }, runs: { type: 'string' } } });
  const { startTestServer } = await import('../../test/support/server.js');
  const r = await runAssessBench({
    studies: Number(values.studies ?? 50),
    runs: Number(values.runs ?? 1),
    log: console.log,
    start: async () => {
      const s = await startTestServer();
      return { url: s.url, stop: () => s.stop() };
    },
  });
  console.log(JSON.stringify({ ...r, medianMs: median(r.assessMs) }));
  process.exit(0);
}
