/**
 * Memory mode: a ≥ 1 GB STOW request generated on the fly (never stored) into a bridge
 * limited to a 256 MB V8 heap, then the same study retrieved; the bridge's peak RSS must
 * stay under the limit in both directions.
 */
import { readProcStatusKb } from '../../test/support/process.js';
import { memoryInstances } from '../datasets.js';
import { retrieveStudy, stow, type RetrieveResult, type StowResult } from '../dicomweb.js';
import { encodeInstance } from '../generate.js';
import type { Part } from '../multipart.js';
import type { ServerFactory } from '../servers.js';
import { mbPerSecond } from '../stats.js';
import { kbToMb, withServer, type BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

export interface MemoryOptions {
  instances: number;
  rssLimitMb: number;
}

export const MEMORY_DEFAULTS: MemoryOptions = { instances: 2_000, rssLimitMb: 400 };
export const MEMORY_NODE_ARGS = ['--max-old-space-size=256'];

function* generatedParts(count: number, seed: number): Generator<Part> {
  for (const instance of memoryInstances(count, seed)) yield { body: () => encodeInstance(instance) };
}

interface MemoryFigures {
  baselineMb: number;
  put: StowResult;
  stowPeakMb: number;
  get: RetrieveResult;
  getPeakMb: number;
}

export async function runMemory(
  ctx: BenchContext,
  bridge: ServerFactory,
  opts: MemoryOptions = MEMORY_DEFAULTS,
): Promise<WorkloadResult & { passed: boolean }> {
  const studyUid = memoryInstances(1, ctx.options.seed).next().value!.studyUid;
  const dir = ctx.scratch.dir('ours-memory');
  const errors: string[] = [];
  const notes: string[] = [];
  let figures: MemoryFigures | undefined;
  try {
    figures = await withServer(bridge, dir, async (server) => {
      server.resetPeakRss();
      const baselineMb = kbToMb(readProcStatusKb(server.pid, 'VmRSS') ?? 0);
      ctx.log(
        `  memory: STOW of ${opts.instances} generated instances (chunked, ≈ ${((opts.instances * 526_000) / 1e9).toFixed(2)} GB) …`,
      );
      const put = await stow(server.dicomWebUrl, generatedParts(opts.instances, ctx.options.seed), {
        agent: ctx.agent,
        timeoutMs: 30 * 60_000,
      });
      const stowPeakMb = kbToMb(server.peakRssKb());
      ctx.log(
        `  memory: STOW ${(put.bytes / 1e9).toFixed(2)} GB in ${(put.ms / 1000).toFixed(1)} s, stored ${put.stored}, peak RSS ${stowPeakMb.toFixed(0)} MB`,
      );
      server.resetPeakRss();
      const get = await retrieveStudy(server.dicomWebUrl, studyUid, ctx.agent, 30 * 60_000);
      const getPeakMb = kbToMb(server.peakRssKb());
      ctx.log(
        `  memory: retrieve ${(get.bytes / 1e9).toFixed(2)} GB in ${(get.ms / 1000).toFixed(1)} s, ${get.parts} parts, peak RSS ${getPeakMb.toFixed(0)} MB`,
      );
      return { baselineMb, put, stowPeakMb, get, getPeakMb };
    });
  } catch (err) {
    errors.push(`memory: ${(err as Error).message}`);
  } finally {
    ctx.scratch.remove(dir);
  }
  let passed = false;
  if (figures) {
    const { put, get, stowPeakMb, getPeakMb } = figures;
    const checks: [boolean, string][] = [
      [put.bytes >= 1e9, `request body ≥ 1 GB (${(put.bytes / 1e9).toFixed(2)} GB)`],
      [put.stored === opts.instances, `all instances stored (${put.stored}/${opts.instances})`],
      [get.parts === opts.instances, `all instances retrieved (${get.parts}/${opts.instances})`],
      [stowPeakMb < opts.rssLimitMb, `STOW peak RSS ${stowPeakMb.toFixed(0)} MB < ${opts.rssLimitMb} MB`],
      [getPeakMb < opts.rssLimitMb, `retrieve peak RSS ${getPeakMb.toFixed(0)} MB < ${opts.rssLimitMb} MB`],
    ];
    for (const [ok, text] of checks) notes.push(`${ok ? 'PASS' : 'FAIL'}: ${text}`);
    passed = errors.length === 0 && checks.every(([ok]) => ok);
  }
  notes.push(
    `Bridge node args: ${MEMORY_NODE_ARGS.join(' ')}; client peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB.`,
    'STOW throughput here includes generating and encoding every instance in the client on the same 2 cores: a memory check, not a speed figure.',
  );
  const ours = (v: number | undefined): { ours?: number } => (v === undefined ? {} : { ours: v });
  const f = figures;
  return {
    id: 'MEM',
    title: `Memory: ≥ 1 GB STOW + retrieve with ${MEMORY_NODE_ARGS.join(' ')}`,
    rows: [
      { workload: 'MEM', metric: 'STOW wall time', unit: 's', better: 'lower', values: ours(f && f.put.ms / 1000) },
      {
        workload: 'MEM',
        metric: 'STOW throughput',
        unit: 'MB/s',
        better: 'higher',
        values: ours(f && mbPerSecond(f.put.bytes, f.put.ms)),
      },
      {
        workload: 'MEM',
        metric: 'STOW peak RSS',
        unit: 'MB',
        better: 'lower',
        values: ours(f?.stowPeakMb),
        target: { text: `< ${opts.rssLimitMb} MB`, maxOurs: opts.rssLimitMb },
      },
      { workload: 'MEM', metric: 'retrieve wall time', unit: 's', better: 'lower', values: ours(f && f.get.ms / 1000) },
      {
        workload: 'MEM',
        metric: 'retrieve throughput',
        unit: 'MB/s',
        better: 'higher',
        values: ours(f && mbPerSecond(f.get.bytes, f.get.ms)),
      },
      {
        workload: 'MEM',
        metric: 'retrieve peak RSS',
        unit: 'MB',
        better: 'lower',
        values: ours(f?.getPeakMb),
        target: { text: `< ${opts.rssLimitMb} MB`, maxOurs: opts.rssLimitMb },
      },
    ],
    notes,
    raw: { ...figures, instances: opts.instances, rssLimitMb: opts.rssLimitMb },
    errors,
    passed,
  };
}
