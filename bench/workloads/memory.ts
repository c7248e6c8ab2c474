/**
 * Memory mode: a ≥ 1 GB STOW request generated on the fly (never stored) into a bridge
 * limited to a 256 MB V8 heap, then the same study retrieved; the bridge's peak RSS must
 * stay under the limit in both directions.
 */
import { readProcStatusKb } from '../../test/support/process.js';
import { memoryInstances } from '../datasets.js';
import { retrieveStudy, stow } from '../dicomweb.js';
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

export async function runMemory(ctx: BenchContext, bridge: ServerFactory, opts: MemoryOptions = MEMORY_DEFAULTS): Promise<WorkloadResult & { passed: boolean }> {
  const studyUid = memoryInstances(1, ctx.options.seed).next().value!.studyUid;
  const dir = ctx.scratch.dir('ours-memory');
  const errors: string[] = [];
  const notes: string[] = [];
  let passed = false;
  let raw: Record<string, unknown> = {};
  try {
    raw = await withServer(bridge, dir, async (server) => {
      server.resetPeakRss();
      const baselineMb = kbToMb(readProcStatusKb(server.pid, 'VmRSS') ?? 0);
      ctx.log(`  memory: STOW of ${opts.instances} generated instances (chunked, ≈ ${((opts.instances * 526_000) / 1e9).toFixed(2)} GB) …`);
      const put = await stow(server.dicomWebUrl, generatedParts(opts.instances, ctx.options.seed), { agent: ctx.agent, timeoutMs: 30 * 60_000 });
      const stowPeakMb = kbToMb(server.peakRssKb());
      ctx.log(`  memory: STOW ${(put.bytes / 1e9).toFixed(2)} GB in ${(put.ms / 1000).toFixed(1)} s, stored ${put.stored}, peak RSS ${stowPeakMb.toFixed(0)} MB`);
      server.resetPeakRss();
      const get = await retrieveStudy(server.dicomWebUrl, studyUid, ctx.agent, 30 * 60_000);
      const getPeakMb = kbToMb(server.peakRssKb());
      ctx.log(`  memory: retrieve ${(get.bytes / 1e9).toFixed(2)} GB in ${(get.ms / 1000).toFixed(1)} s, ${get.parts} parts, peak RSS ${getPeakMb.toFixed(0)} MB`);
      return { baselineMb, put, stowPeakMb, get, getPeakMb };
    });
    const r = raw as { put: { bytes: number; ms: number; stored: number }; get: { bytes: number; ms: number; parts: number }; stowPeakMb: number; getPeakMb: number };
    const checks = [
      [r.put.bytes >= 1e9, `request body ≥ 1 GB (${(r.put.bytes / 1e9).toFixed(2)} GB)`],
      [r.put.stored === opts.instances, `all instances stored (${r.put.stored}/${opts.instances})`],
      [r.get.parts === opts.instances, `all instances retrieved (${r.get.parts}/${opts.instances})`],
      [r.stowPeakMb < opts.rssLimitMb, `STOW peak RSS ${r.stowPeakMb.toFixed(0)} MB < ${opts.rssLimitMb} MB`],
      [r.getPeakMb < opts.rssLimitMb, `retrieve peak RSS ${r.getPeakMb.toFixed(0)} MB < ${opts.rssLimitMb} MB`],
    ] as const;
    for (const [ok, text] of checks) notes.push(`${ok ? 'PASS' : 'FAIL'}: ${text}`);
    passed = checks.every(([ok]) => ok);
    raw = { ...raw, stowMbPerS: mbPerSecond(r.put.bytes, r.put.ms), getMbPerS: mbPerSecond(r.get.bytes, r.get.ms) };
  } catch (err) {
    errors.push(`memory: ${(err as Error).message}`);
  } finally {
    ctx.scratch.remove(dir);
  }
  notes.push(`Bridge node args: ${MEMORY_NODE_ARGS.join(' ')}; client peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB.`);
  const r = raw as { put?: { bytes: number; ms: number }; get?: { bytes: number; ms: number }; stowPeakMb?: number; getPeakMb?: number };
  const ours = (v: number | undefined) => (v === undefined ? {} : { ours: v });
  return {
    id: 'MEM',
    title: `Memory: ≥ 1 GB STOW + retrieve with ${MEMORY_NODE_ARGS.join(' ')}`,
    rows: [
      { workload: 'MEM', metric: 'STOW wall time', unit: 's', better: 'lower', values: ours(r.put && r.put.ms / 1000) },
      { workload: 'MEM', metric: 'STOW throughput', unit: 'MB/s', better: 'higher', values: ours(r.put && mbPerSecond(r.put.bytes, r.put.ms)) },
      { workload: 'MEM', metric: 'STOW peak RSS', unit: 'MB', better: 'lower', values: ours(r.stowPeakMb), target: { text: `< ${opts.rssLimitMb} MB`, maxOurs: opts.rssLimitMb } },
      { workload: 'MEM', metric: 'retrieve wall time', unit: 's', better: 'lower', values: ours(r.get && r.get.ms / 1000) },
      { workload: 'MEM', metric: 'retrieve throughput', unit: 'MB/s', better: 'higher', values: ours(r.get && mbPerSecond(r.get.bytes, r.get.ms)) },
      { workload: 'MEM', metric: 'retrieve peak RSS', unit: 'MB', better: 'lower', values: ours(r.getPeakMb), target: { text: `< ${opts.rssLimitMb} MB`, maxOurs: opts.rssLimitMb } },
    ],
    notes,
    raw,
    errors,
    passed: passed && errors.length === 0,
  };
}
