/** P5: WADO-RS study metadata of CT400, cold (first request after a restart) and warm (median of 10). */
import { studyMetadata } from '../dicomweb.js';
import type { Side } from '../servers.js';
import { median } from '../stats.js';
import { withServer, type BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

const WARM_REQUESTS = 10;

interface P5Sample {
  coldMs: number;
  warmMs: number[];
  instances: number;
  bytes: number;
}

export async function runP5(ctx: BenchContext): Promise<WorkloadResult> {
  const studyUid = ctx.data.ct400().entries[0]!.studyUid;
  const expected = ctx.data.ct400().entries.length;
  const samples: Partial<Record<Side, P5Sample[]>> = {};
  const errors: string[] = [];
  const notes: string[] = [];
  for (const factory of ctx.factories) {
    try {
      const dir = await ctx.data.ct400Dir(ctx, factory);
      for (let run = 1; run <= ctx.options.runs; run++) {
        await ctx.quiet(`P5 ${factory.label} run ${run}`);
        // Each run restarts the server: its first request is the cold one.
        const sample = await withServer(factory, dir, async (server) => {
          const cold = await studyMetadata(server.dicomWebUrl, studyUid, ctx.agent);
          const warm: number[] = [];
          for (let i = 0; i < WARM_REQUESTS; i++)
            warm.push((await studyMetadata(server.dicomWebUrl, studyUid, ctx.agent)).ms);
          return { coldMs: cold.ms, warmMs: warm, instances: cold.instances, bytes: cold.bytes };
        });
        (samples[factory.side] ??= []).push(sample);
        ctx.log(
          `  P5 run ${run} ${factory.label}: cold ${sample.coldMs.toFixed(1)} ms, warm ${median(sample.warmMs).toFixed(1)} ms, ${sample.instances} instances, ${(sample.bytes / 1e6).toFixed(2)} MB`,
        );
        if (sample.instances !== expected)
          notes.push(`${factory.label} run ${run}: metadata listed ${sample.instances}/${expected} instances`);
      }
    } catch (err) {
      errors.push(`P5 ${factory.label}: ${(err as Error).message}`);
      ctx.log(`  P5 ${factory.label} failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const by = (f: (list: P5Sample[]) => number): Partial<Record<Side, number>> =>
    Object.fromEntries(Object.entries(samples).map(([side, list]) => [side, f(list)]));
  const sizes = Object.entries(samples)
    .map(([side, list]) => `${side} ${(list[0]!.bytes / 1e6).toFixed(2)} MB`)
    .join(', ');
  notes.push(
    `Cold = first request after a server restart (the OS page cache stays warm), median over ${ctx.options.runs} restarts; warm = median of ${WARM_REQUESTS} following requests, median over runs. Body sizes: ${sizes}.`,
  );
  return {
    id: 'P5',
    title: 'WADO-RS study metadata, CT400',
    rows: [
      {
        workload: 'P5',
        metric: 'cold',
        unit: 'ms',
        better: 'lower',
        values: by((l) => median(l.map((s) => s.coldMs))),
        target: { text: '≤ 200 ms', maxOurs: 200 },
      },
      {
        workload: 'P5',
        metric: 'warm',
        unit: 'ms',
        better: 'lower',
        values: by((l) => median(l.map((s) => median(s.warmMs)))),
        target: { text: '≤ 50 ms', maxOurs: 50 },
      },
    ],
    notes,
    raw: { samples },
    errors,
  };
}
