/** P2: STOW-RS CT400 in ONE multipart/related request, streamed from disk, into an empty server. */
import { stow } from '../dicomweb.js';
import { fileParts } from '../multipart.js';
import type { Side } from '../servers.js';
import { max, mbPerSecond, median } from '../stats.js';
import { ceilingContent, durableWrites, settleDisk } from './ceiling.js';
import { kbToMb, manifestFiles, withServer, type BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

interface P2Sample {
  run: number;
  ms: number;
  mbPerS: number;
  peakRssMb: number;
  stored: number;
  failed: number;
  /** This P2 throughput ÷ the durable-write ceiling measured in the same round, in %. */
  ceilingShare: number;
}

export async function runP2(ctx: BenchContext): Promise<WorkloadResult> {
  const manifest = ctx.data.ct400();
  const files = manifestFiles(manifest);
  const samples: Partial<Record<Side, P2Sample[]>> = {};
  const errors: string[] = [];
  const notes: string[] = [];
  const content = ceilingContent(manifest);
  const ceilings: number[] = [];
  for (let run = 1; run <= ctx.options.runs; run++) {
    await ctx.quiet(`P2 round ${run}`);
    // The disk of a shared VM drifts: each round measures its own durable-write ceiling.
    const ceilDir = ctx.scratch.dir('p2-ceiling');
    settleDisk();
    const ceiling = durableWrites(ceilDir, content, files.length);
    ctx.scratch.remove(ceilDir);
    const ceilingMbPerS = mbPerSecond(ceiling.bytes, ceiling.ms);
    ceilings.push(ceilingMbPerS);
    ctx.log(`  P2 run ${run} ceiling: ${(ceiling.ms / 1000).toFixed(2)} s, ${ceilingMbPerS.toFixed(0)} MB/s`);
    // Alternate sides run by run so neither always goes first.
    for (const factory of run % 2 ? ctx.factories : [...ctx.factories].reverse()) {
      const dir = ctx.scratch.dir(`${factory.side}-p2`);
      try {
        const sample = await withServer(factory, dir, async (server) => {
          settleDisk();
          server.resetPeakRss();
          const r = await stow(server.dicomWebUrl, fileParts(files), { agent: ctx.agent, timeoutMs: 600_000 });
          const mbPerS = mbPerSecond(manifest.totalBytes, r.ms);
          return {
            run,
            ms: r.ms,
            mbPerS,
            peakRssMb: kbToMb(server.peakRssKb()),
            stored: r.stored,
            failed: r.failed,
            ceilingShare: (mbPerS / ceilingMbPerS) * 100,
          };
        });
        (samples[factory.side] ??= []).push(sample);
        ctx.log(
          `  P2 run ${run} ${factory.label}: ${(sample.ms / 1000).toFixed(2)} s, ${sample.mbPerS.toFixed(1)} MB/s, peak RSS ${sample.peakRssMb.toFixed(0)} MB, stored ${sample.stored}/${files.length}`,
        );
        if (sample.stored !== files.length)
          notes.push(`${factory.label} run ${run}: stored ${sample.stored}/${files.length}, failed ${sample.failed}`);
      } catch (err) {
        errors.push(`P2 ${factory.label} run ${run}: ${(err as Error).message}`);
        ctx.log(`  P2 ${factory.label} failed: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        ctx.scratch.remove(dir);
      }
    }
  }
  const pick = (f: (s: P2Sample) => number, agg: (v: number[]) => number): Partial<Record<Side, number>> =>
    Object.fromEntries(Object.entries(samples).map(([side, list]) => [side, agg(list.map(f))]));
  const rounds = (samples.ours ?? [])
    .map((o) => ({ o, t: samples.orthanc?.find((t) => t.run === o.run) }))
    .filter((x): x is { o: P2Sample; t: P2Sample } => x.t !== undefined)
    .map(({ o, t }) => `${(t.ms / o.ms).toFixed(2)}×`);
  if (rounds.length) notes.push(`Ratio round by round (Orthanc time ÷ ours): ${rounds.join(', ')}.`);
  notes.push(
    `CT400 = ${files.length} files, ${(manifest.totalBytes / 1e6).toFixed(1)} MB, one request with Content-Length; median of ${ctx.options.runs} runs, each into an empty server, sync(1) before each run (sides alternate which goes first).`,
    `Ceiling share: each round first measures the durable-write ceiling (as CEIL: ${files.length} × ≈ 525 KB, write + fdatasync + folder fsync each, sequential) and each side's throughput is divided by that round's ceiling; median over rounds. Ceilings this run: ${ceilings.map((c) => c.toFixed(0)).join(', ')} MB/s.`,
  );
  return {
    id: 'P2',
    title: 'STOW-RS CT400, one multipart request',
    rows: [
      { workload: 'P2', metric: 'wall time', unit: 's', better: 'lower', values: pick((s) => s.ms / 1000, median) },
      {
        workload: 'P2',
        metric: 'throughput',
        unit: 'MB/s',
        better: 'higher',
        values: pick((s) => s.mbPerS, median),
        target: { text: '≥ 3×', minRatio: 3 },
      },
      { workload: 'P2', metric: 'server peak RSS', unit: 'MB', better: 'lower', values: pick((s) => s.peakRssMb, max) },
      {
        workload: 'P2',
        metric: 'throughput ÷ same-round durable-write ceiling',
        unit: '%',
        better: 'higher',
        values: pick((s) => s.ceilingShare, median),
        target: { text: '≥ 50 %', minOurs: 50 },
      },
    ],
    notes,
    raw: { samples, ceilingsMbPerS: ceilings, bytes: manifest.totalBytes, instances: files.length },
    errors,
  };
}
