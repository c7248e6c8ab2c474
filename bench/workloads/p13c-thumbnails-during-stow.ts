/**
 * P13c: does a burst of thumbnail requests slow ingestion? On one server holding a CT400 study
 * (400 instances, 512×512), a STOW of another CT400 copy is timed alone, then a third copy is
 * timed while 20 clients fetch the thumbnails of every instance of the stored study, back to back.
 * Result: the STOW's time growth in % (target ≤ 25 %). The copies are CT400 with their UIDs
 * suffixed (.1, .2), encoded in memory, so each STOW stores new instances. Ours only (rendering
 * runs on worker threads; the question is whether the event loop stays free for STOW).
 */
import { Agent } from 'node:http';
import type { GeneratedInstance } from '../datasets.js';
import { ct400Instances } from '../datasets.js';
import { stow } from '../dicomweb.js';
import { encodeInstance } from '../generate.js';
import { httpCall } from '../http-client.js';
import { type CpuByPriority, cpuBetween, threadSnapshot } from '../thread-cpu.js';
import type { Part } from '../multipart.js';
import { startTestServer } from '../../test/support/server.js';
import type { BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

const UIDS = ['0020000D', '0020000E', '00080018'];

export interface P13cOptions {
  /** Instances per CT400 copy (default 400; fewer only to prove the workload runs). */
  instances?: number;
  clients?: number;
  seed?: number;
  /** `pid` (a local process) adds the server's CPU by thread priority to the result. */
  start: () => Promise<{ url: string; pid?: number; stop(): Promise<void> }>;
  log?: (line: string) => void;
}

export interface P13cResult {
  instances: number;
  clients: number;
  stowAloneMs: number;
  stowUnderLoadMs: number;
  growthPercent: number;
  thumbnails: number;
  thumbnailErrors: number;
  /** Server CPU during each STOW, by thread priority (Linux, local server only). */
  cpuAlone?: CpuByPriority;
  cpuUnderLoad?: CpuByPriority;
}

/** CT400 as STOW parts, every UID suffixed so the copy is new to the server. */
function copyOf(seed: number | undefined, count: number, suffix: string): { parts: Part[]; first: GeneratedInstance } {
  const parts: Part[] = [];
  let first: GeneratedInstance | undefined;
  for (const inst of ct400Instances(seed)) {
    if (parts.length === count) break;
    const json = { ...inst.json };
    if (suffix)
      for (const tag of UIDS) {
        const v = json[tag]?.Value as string[] | undefined;
        if (v) json[tag] = { ...json[tag]!, Value: [`${v[0]}${suffix}`] };
      }
    const body = encodeInstance({ ...inst, json });
    first ??= inst;
    parts.push({ size: body.length, body: () => body });
  }
  return { parts, first: first! };
}

export async function runP13c(opts: P13cOptions): Promise<P13cResult> {
  const count = opts.instances ?? 400;
  const clients = opts.clients ?? 20;
  const log = opts.log ?? (() => undefined);
  const agent = new Agent({ keepAlive: true, maxSockets: clients + 2 });
  const server = await opts.start();
  try {
    const dicomweb = `${server.url}/dicomweb`;
    const stored = copyOf(opts.seed, count, '');
    await stow(dicomweb, stored.parts, { agent, timeoutMs: 600_000 });
    const study = stored.first.studyUid;
    const instances = [...ct400Instances(opts.seed)]
      .slice(0, count)
      .map((i) => `${dicomweb}/studies/${study}/series/${i.seriesUid}/instances/${i.sopInstanceUid}/thumbnail`);
    // Render threads started and codecs loaded before anything is timed (not a thumbnail: those stay uncached).
    const warm = instances[0]!.replace(/\/thumbnail$/, '/rendered');
    const warmed = await httpCall(warm, { agent, headers: { accept: 'image/jpeg' }, timeoutMs: 60_000 });
    if (warmed.status !== 200) throw new Error(`P13c: warm-up render answered HTTP ${warmed.status}`);
    const snap = () => (server.pid === undefined ? new Map() : threadSnapshot(server.pid));
    const beforeAlone = snap();
    const alone = await stow(dicomweb, copyOf(opts.seed, count, '.1').parts, { agent, timeoutMs: 600_000 });
    const cpuAlone = cpuBetween(beforeAlone, snap());
    log(`  P13c STOW of ${count} alone: ${alone.ms.toFixed(0)} ms`);
    const next = copyOf(opts.seed, count, '.2').parts; // encoded before the clients start
    const beforeLoaded = snap();
    let running = true;
    let thumbnails = 0;
    let thumbnailErrors = 0;
    const load = Array.from({ length: clients }, async (_, c) => {
      for (let i = c; running; i = (i + clients) % instances.length) {
        const r = await httpCall(instances[i]!, { agent, headers: { accept: 'image/jpeg' }, timeoutMs: 60_000 });
        if (r.status === 200) thumbnails++;
        else thumbnailErrors++;
      }
    });
    const loaded = await stow(dicomweb, next, { agent, timeoutMs: 600_000 });
    const cpuUnderLoad = cpuBetween(beforeLoaded, snap());
    running = false;
    await Promise.all(load);
    log(
      `  P13c STOW of ${count} with ${clients} thumbnail clients: ${loaded.ms.toFixed(0)} ms (${thumbnails} thumbnails, ${thumbnailErrors} refused)`,
    );
    return {
      instances: count,
      clients,
      stowAloneMs: alone.ms,
      stowUnderLoadMs: loaded.ms,
      growthPercent: ((loaded.ms - alone.ms) / alone.ms) * 100,
      thumbnails,
      thumbnailErrors,
      cpuAlone,
      cpuUnderLoad,
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

/** P13c as a bench/run.ts workload: our built server on a fresh data directory, one pass per run. */
export async function runP13cWorkload(ctx: BenchContext): Promise<WorkloadResult> {
  const errors: string[] = [];
  const results: P13cResult[] = [];
  for (let run = 1; run <= ctx.options.runs; run++) {
    const dir = ctx.scratch.dir(`ours-p13c-${run}`);
    try {
      await ctx.quiet(`P13c run ${run}`);
      results.push(
        await runP13c({
          seed: ctx.options.seed,
          log: ctx.log,
          start: async () => {
            const b = await startTestServer(
              { 'data-dir': dir, 'log-level': 'warn' },
              { spawn: { startTimeoutMs: 120_000, ...(ctx.bridgeEntry ? { entry: ctx.bridgeEntry } : {}) } },
            );
            return { url: b.url, pid: b.pid, stop: () => b.stop() };
          },
        }),
      );
    } catch (err) {
      errors.push(`P13c run ${run}: ${(err as Error).message}`);
    } finally {
      ctx.scratch.remove(dir);
    }
  }
  const med = (f: (r: P13cResult) => number | undefined) => {
    const v = results
      .map(f)
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    return v.length ? { ours: v[Math.floor((v.length - 1) / 2)]! } : {};
  };
  return {
    id: 'P13c',
    title: 'STOW of CT400 while 20 clients fetch thumbnails',
    rows: [
      { workload: 'P13c', metric: 'STOW CT400 alone', unit: 'ms', better: 'lower', values: med((r) => r.stowAloneMs) },
      {
        workload: 'P13c',
        metric: 'STOW CT400 under 20 thumbnail clients',
        unit: 'ms',
        better: 'lower',
        values: med((r) => r.stowUnderLoadMs),
      },
      {
        workload: 'P13c',
        metric: 'STOW time growth',
        unit: '%',
        better: 'lower',
        values: med((r) => r.growthPercent),
        target: { text: '≤ 25 %', maxOurs: 25 },
      },
      // What competes with the STOW: CPU at normal priority; render threads run at nice 19.
      ...(
        [
          ['alone, normal priority', (r) => r.cpuAlone?.normalMs],
          ['under load, normal priority', (r) => r.cpuUnderLoad?.normalMs],
          ['under load, lowered priority (render threads)', (r) => r.cpuUnderLoad?.loweredMs],
        ] as const satisfies readonly (readonly [string, (r: P13cResult) => number | undefined])[]
      ).map(([what, f]) => ({
        workload: 'P13c',
        metric: `server CPU during the STOW ${what}`,
        unit: 'ms',
        better: 'lower' as const,
        values: med(f),
      })),
    ],
    notes: [
      'One server per run: CT400 stored first (untimed), a copy with new UIDs STOWed alone, then a third copy STOWed while 20 clients request the instance thumbnails of the stored study round-robin (cached after their first rendering, as a viewer scrolling a study would). The alone STOW comes first in every run (its index is smaller by 400 instances).',
      'Server CPU by thread priority comes from /proc/<pid>/task/*/schedstat (Linux): "normal" is everything that competes with the STOW on equal terms (event loop, libuv pool, V8 GC threads, sharp), "lowered" the render threads at nice 19.',
    ],
    raw: { results },
    errors,
  };
}
