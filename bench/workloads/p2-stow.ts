/** P2: STOW-RS CT400 in ONE multipart/related request, streamed from disk, into an empty server. */
import { stow } from '../dicomweb.js';
import { fileParts } from '../multipart.js';
import type { Side } from '../servers.js';
import { max, mbPerSecond, median } from '../stats.js';
import { kbToMb, manifestFiles, withServer, type BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

interface P2Sample {
  ms: number;
  mbPerS: number;
  peakRssMb: number;
  stored: number;
  failed: number;
}

export async function runP2(ctx: BenchContext): Promise<WorkloadResult> {
  const manifest = ctx.data.ct400();
  const files = manifestFiles(manifest);
  const samples: Partial<Record<Side, P2Sample[]>> = {};
  const errors: string[] = [];
  const notes: string[] = [];
  for (let run = 1; run <= ctx.options.runs; run++) {
    // Alternate sides run by run so neither always goes first.
    for (const factory of run % 2 ? ctx.factories : [...ctx.factories].reverse()) {
      const dir = ctx.scratch.dir(`${factory.side}-p2`);
      try {
        const sample = await withServer(factory, dir, async (server) => {
          server.resetPeakRss();
          const r = await stow(server.dicomWebUrl, fileParts(files), { agent: ctx.agent, timeoutMs: 600_000 });
          return { ms: r.ms, mbPerS: mbPerSecond(manifest.totalBytes, r.ms), peakRssMb: kbToMb(server.peakRssKb()), stored: r.stored, failed: r.failed };
        });
        (samples[factory.side] ??= []).push(sample);
        ctx.log(`  P2 run ${run} ${factory.label}: ${(sample.ms / 1000).toFixed(2)} s, ${sample.mbPerS.toFixed(1)} MB/s, peak RSS ${sample.peakRssMb.toFixed(0)} MB, stored ${sample.stored}/${files.length}`);
        if (sample.stored !== files.length) notes.push(`${factory.label} run ${run}: stored ${sample.stored}/${files.length}, failed ${sample.failed}`);
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
  notes.push(
    `CT400 = ${files.length} files, ${(manifest.totalBytes / 1e6).toFixed(1)} MB, one request with Content-Length; median of ${ctx.options.runs} runs, each into an empty server.`,
    'Durable-write ceiling on the reference machine (PROTOCOL.md): 400 × 525 KB files with fsync ≈ 0.6 s (≈ 350 MB/s).',
  );
  return {
    id: 'P2',
    title: 'STOW-RS CT400, one multipart request',
    rows: [
      { workload: 'P2', metric: 'wall time', unit: 's', better: 'lower', values: pick((s) => s.ms / 1000, median) },
      { workload: 'P2', metric: 'throughput', unit: 'MB/s', better: 'higher', values: pick((s) => s.mbPerS, median), target: { text: '≥ 5×', minRatio: 5 } },
      { workload: 'P2', metric: 'server peak RSS', unit: 'MB', better: 'lower', values: pick((s) => s.peakRssMb, max) },
    ],
    notes,
    raw: { samples, bytes: manifest.totalBytes, instances: files.length },
    errors,
  };
}
