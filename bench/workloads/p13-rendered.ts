/**
 * P13: thumbnail and rendered-frame latency on CT400 (512×512 16-bit, native), side by side with
 * Orthanc: our `…/thumbnail` against Orthanc's `/instances/{id}/preview` (its nearest resource;
 * its DICOMweb plugin has no thumbnail), and both servers' DICOMweb `…/rendered`.
 * Cold = the first thumbnail after a restart (starts the render threads); warm = median of
 * repeated requests for the same thumbnail; rendered = median over distinct instances (no cache),
 * native and JPEG 2000 lossless (copies of CT400 instances, bench/jpeg2000-copies.ts).
 */
import { readFileSync } from 'node:fs';
import { bufferSource, parseInstance } from '../../src/dicom/index.js';
import { stow } from '../dicomweb.js';
import { entryPath } from '../generate.js';
import { type Jpeg2000Copy, jpeg2000Copies } from '../jpeg2000-copies.js';
import { httpCall, jsonOf } from '../http-client.js';
import type { RunningServer, Side } from '../servers.js';
import { median } from '../stats.js';
import { withServer, type BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

const WARM_REQUESTS = 10;
const RENDERED_INSTANCES = 10;

interface Target {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
}

interface P13Sample {
  thumbnailColdMs: number;
  thumbnailWarmMs: number[];
  renderedMs: number[];
  /** Rendered JPEG 2000 frames; empty when the server could not render them (see j2kError). */
  renderedJ2kMs: number[];
  j2kError?: string;
}

async function timedGet(url: string, ctx: BenchContext, accept = 'image/jpeg'): Promise<number> {
  const r = await httpCall(url, { agent: ctx.agent, headers: { accept } });
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status}: ${r.body.toString('utf8').slice(0, 200)}`);
  if (r.bytes < 100) throw new Error(`GET ${url}: only ${r.bytes} bytes`);
  return r.totalMs;
}

const renderedUrl = (server: RunningServer, t: Target) =>
  `${server.dicomWebUrl}/studies/${t.studyUid}/series/${t.seriesUid}/instances/${t.sopUid}/rendered`;

/** Orthanc's own id of an instance (for /instances/{id}/preview). */
async function orthancId(server: RunningServer, sopUid: string, ctx: BenchContext): Promise<string> {
  const root = server.dicomWebUrl.replace(/\/dicom-web\/?$/, '');
  const r = await httpCall(`${root}/tools/lookup`, { method: 'POST', body: Buffer.from(sopUid), agent: ctx.agent });
  const found = jsonOf<{ ID: string; Type: string }[]>(r, 'Orthanc lookup').find((x) => x.Type === 'Instance');
  if (!found) throw new Error(`Orthanc does not know instance ${sopUid}`);
  return `${root}/instances/${found.ID}/preview`;
}

async function measure(
  server: RunningServer,
  targets: Target[],
  j2k: Jpeg2000Copy[],
  ctx: BenchContext,
): Promise<P13Sample> {
  const middle = targets[0]!;
  const thumbnailUrl =
    server.side === 'ours'
      ? `${server.dicomWebUrl}/studies/${middle.studyUid}/series/${middle.seriesUid}/instances/${middle.sopUid}/thumbnail`
      : await orthancId(server, middle.sopUid, ctx);
  // Orthanc's preview answers PNG only.
  const accept = server.side === 'ours' ? 'image/jpeg' : 'image/png';
  const thumbnailColdMs = await timedGet(thumbnailUrl, ctx, accept);
  const thumbnailWarmMs: number[] = [];
  for (let i = 0; i < WARM_REQUESTS; i++) thumbnailWarmMs.push(await timedGet(thumbnailUrl, ctx, accept));
  await timedGet(renderedUrl(server, targets[1]!), ctx); // warm-up, not counted
  const renderedMs: number[] = [];
  for (const t of targets.slice(2)) renderedMs.push(await timedGet(renderedUrl(server, t), ctx));
  // JPEG 2000: stored now (untimed), then the same timing as native; a server that cannot render them is reported, not fatal.
  const renderedJ2kMs: number[] = [];
  let j2kError: string | undefined;
  try {
    await stow(
      server.dicomWebUrl,
      j2k.map((c) => ({ size: c.file.length, body: () => c.file })),
      { agent: ctx.agent },
    );
    const j2kTargets = j2k.map((c) => ({ studyUid: c.studyUid, seriesUid: c.seriesUid, sopUid: c.sopUid }));
    await timedGet(renderedUrl(server, j2kTargets[0]!), ctx); // warm-up, not counted
    for (const t of j2kTargets.slice(1)) renderedJ2kMs.push(await timedGet(renderedUrl(server, t), ctx));
  } catch (err) {
    j2kError = (err as Error).message.split('\n')[0];
  }
  return { thumbnailColdMs, thumbnailWarmMs, renderedMs, renderedJ2kMs, ...(j2kError ? { j2kError } : {}) };
}

export async function runP13(ctx: BenchContext): Promise<WorkloadResult> {
  const manifest = ctx.data.ct400();
  const mid = Math.floor(manifest.entries.length / 2);
  const targets: Target[] = manifest.entries.slice(mid, mid + RENDERED_INSTANCES + 2).map((e) => {
    const parsed = parseInstance(bufferSource(readFileSync(entryPath(manifest, e))));
    return { studyUid: e.studyUid, seriesUid: parsed.seriesInstanceUid, sopUid: e.sopInstanceUid };
  });
  const j2k = await jpeg2000Copies(RENDERED_INSTANCES + 1, mid);
  const samples: Partial<Record<Side, P13Sample[]>> = {};
  const errors: string[] = [];
  for (const factory of ctx.factories) {
    try {
      const dir = await ctx.data.ct400Dir(ctx, factory);
      for (let run = 1; run <= ctx.options.runs; run++) {
        await ctx.quiet(`P13 ${factory.label} run ${run}`);
        const sample = await withServer(factory, dir, (server) => measure(server, targets, j2k, ctx));
        if (sample.j2kError) errors.push(`P13 ${factory.label} JPEG 2000: ${sample.j2kError}`);
        (samples[factory.side] ??= []).push(sample);
        ctx.log(
          `  P13 run ${run} ${factory.label}: thumbnail cold ${sample.thumbnailColdMs.toFixed(1)} ms, warm ${median(sample.thumbnailWarmMs).toFixed(1)} ms, rendered ${median(sample.renderedMs).toFixed(1)} ms`,
        );
      }
    } catch (err) {
      errors.push(`P13 ${factory.label}: ${(err as Error).message}`);
      ctx.log(`  P13 ${factory.label} failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const by = (f: (s: P13Sample) => number): Partial<Record<Side, number>> =>
    Object.fromEntries(
      Object.entries(samples)
        .map(([side, list]) => [side, median(list.map(f).filter(Number.isFinite))] as const)
        .filter(([, v]) => Number.isFinite(v)),
    );
  return {
    id: 'P13',
    title: 'Thumbnail and rendered frame, CT400 512×512 native',
    rows: [
      {
        workload: 'P13',
        metric: 'thumbnail cold (first after start)',
        unit: 'ms',
        better: 'lower',
        values: by((s) => s.thumbnailColdMs),
      },
      {
        workload: 'P13',
        metric: 'thumbnail warm (Orthanc: preview)',
        unit: 'ms',
        better: 'lower',
        values: by((s) => median(s.thumbnailWarmMs)),
        target: { text: '≤ 30 ms', maxOurs: 30 },
      },
      {
        workload: 'P13',
        metric: 'rendered frame, native',
        unit: 'ms',
        better: 'lower',
        values: by((s) => median(s.renderedMs)),
        target: { text: '≤ 50 ms', maxOurs: 50 },
      },
      {
        workload: 'P13',
        metric: 'rendered frame, JPEG 2000 lossless',
        unit: 'ms',
        better: 'lower',
        values: by((s) => (s.renderedJ2kMs.length ? median(s.renderedJ2kMs) : Number.NaN)),
        target: { text: '≤ 150 ms', maxOurs: 150 },
      },
    ],
    notes: [
      `Thumbnail: ours …/instances/{i}/thumbnail (JPEG, 128×128, cached after the first), Orthanc /instances/{id}/preview (PNG, full size, its closest resource). Warm = median of ${WARM_REQUESTS} requests for the same image; rendered = median over ${RENDERED_INSTANCES} distinct instances (JPEG, full size) after one warm-up; medians over ${ctx.options.runs} runs.`,
      `JPEG 2000: ${RENDERED_INSTANCES + 1} CT400 instances re-encoded lossless by OpenJPEG (dcmjs-codecs) with new UIDs, STOWed to each server before timing; median over ${RENDERED_INSTANCES} after one warm-up. A server that cannot render them is listed under errors. Thumbnails during a STOW: P13c.`,
    ],
    raw: { samples },
    errors,
  };
}
