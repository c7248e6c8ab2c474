/** P4: load SMALL10K by STOW in batches, then time the QIDO-RS study query mix on each server. */
import { qido, stow } from '../dicomweb.js';
import { SMALL10K_SHAPE } from '../datasets.js';
import { fileParts } from '../multipart.js';
import type { Side } from '../servers.js';
import { median, percentile } from '../stats.js';
import { bridgeIdle, manifestFiles, withServer, type BenchContext } from './context.js';
import { QUERY_KINDS, queryFor, type QueryKind } from './qido-queries.js';
import { timeQueries } from './query-timing.js';
import type { Row, WorkloadResult } from './types.js';

/** Stop querying a server after this long, whatever the iteration count. */
const QUERY_BUDGET_MS = 10 * 60_000;
const WARMUP_PER_KIND = 3;

interface SideFigures {
  loadMs: number;
  loadedInstances: number;
  /** Per run, per kind: latencies in ms. */
  runs: Record<QueryKind, number[]>[];
  /** Per run, per kind: times to the first body byte in ms. */
  firstByte: Record<QueryKind, number[]>[];
  /** Result counts per kind, per iteration (first run), to compare the servers. */
  counts: Record<QueryKind, number[]>;
}

export async function runP4(ctx: BenchContext): Promise<WorkloadResult> {
  const manifest = ctx.data.small10k();
  const { seed, queryIterations, runs, batchSize } = ctx.options;
  const figures: Partial<Record<Side, SideFigures>> = {};
  const errors: string[] = [];
  const notes: string[] = [];

  for (const factory of ctx.factories) {
    const dir = ctx.scratch.dir(`${factory.side}-p4`);
    try {
      figures[factory.side] = await withServer(factory, dir, async (server) => {
        // Load: sequential STOW requests of `batchSize` instances each.
        const started = performance.now();
        let loaded = 0;
        for (let from = 0; from < manifest.entries.length; from += batchSize) {
          const r = await stow(server.dicomWebUrl, fileParts(manifestFiles(manifest, from, from + batchSize)), {
            agent: ctx.agent,
            timeoutMs: 120_000,
          });
          loaded += r.stored;
          if (from % 2000 === 0) ctx.log(`  P4 ${factory.label}: loaded ${loaded}/${manifest.entries.length}`);
        }
        const loadMs = performance.now() - started;
        ctx.log(
          `  P4 ${factory.label}: ${loaded} instances in ${(loadMs / 1000).toFixed(1)} s (${((loaded / loadMs) * 1000).toFixed(0)} instances/s)`,
        );

        await bridgeIdle(server);
        await ctx.quiet(`P4 ${factory.label} queries`);
        const t = await timeQueries({
          kinds: QUERY_KINDS,
          call: (kind, i, agent) => qido(server.dicomWebUrl, queryFor(kind, i, seed, SMALL10K_SHAPE), agent),
          agent: ctx.agent,
          runs,
          iterations: queryIterations,
          warmupPerKind: WARMUP_PER_KIND,
          budgetMs: QUERY_BUDGET_MS,
        });
        if (t.cut)
          notes.push(`${factory.label}: query budget of ${QUERY_BUDGET_MS / 60_000} min reached, fewer samples`);
        return { loadMs, loadedInstances: loaded, runs: t.runs, firstByte: t.firstByte, counts: t.counts };
      });
    } catch (err) {
      errors.push(`P4 ${factory.label}: ${(err as Error).message}`);
      ctx.log(`  P4 ${factory.label} failed: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      ctx.scratch.remove(dir);
    }
  }

  const rows: Row[] = [];
  const by = (f: (s: SideFigures) => number): Partial<Record<Side, number>> =>
    Object.fromEntries(Object.entries(figures).map(([side, s]) => [side, f(s)]));
  rows.push({
    workload: 'P4',
    metric: `load SMALL10K by STOW (${batchSize}/request)`,
    unit: 'inst/s',
    better: 'higher',
    values: by((s) => (s.loadedInstances / s.loadMs) * 1000),
  });
  for (const kind of QUERY_KINDS) {
    const stat = (p: number) => by((s) => median(s.runs.map((r) => percentile(r[kind], p))));
    rows.push({
      workload: 'P4',
      metric: `${kind} p50`,
      unit: 'ms',
      better: 'lower',
      values: stat(50),
      target: { text: '≥ 3×', minRatio: 3 },
    });
    rows.push({
      workload: 'P4',
      metric: `${kind} p95`,
      unit: 'ms',
      better: 'lower',
      values: stat(95),
      target: { text: '≥ 3× and ≤ 20 ms', minRatio: 3, maxOurs: 20 },
    });
    rows.push({
      workload: 'P4',
      metric: `${kind} first byte p95`,
      unit: 'ms',
      better: 'lower',
      values: by((s) => median(s.firstByte.map((r) => percentile(r[kind], 95)))),
    });
  }
  notes.push(
    ...compareCounts(figures),
    `${queryIterations} iterations of each query per run (after ${WARMUP_PER_KIND} warm-up each), p50/p95 per run, median over ${runs} runs; the five kinds are interleaved.`,
  );
  notes.push(
    `Queries: ${QUERY_KINDS.map((k) => `\`${queryFor(k, 0, seed, SMALL10K_SHAPE)}\``).join(', ')} (IDs, names and date windows vary per iteration).`,
  );
  return { id: 'P4', title: 'QIDO-RS on SMALL10K', rows, notes, raw: { figures }, errors };
}

/** Result counts per kind (sum over iterations) and whether both servers agree. */
function compareCounts(figures: Partial<Record<Side, SideFigures>>): string[] {
  const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);
  return QUERY_KINDS.map((kind) => {
    const ours = figures.ours?.counts[kind];
    const theirs = figures.orthanc?.counts[kind];
    const text = [ours && `ours ${sum(ours)}`, theirs && `Orthanc ${sum(theirs)}`].filter(Boolean).join(', ');
    const mismatch = ours && theirs ? ours.findIndex((c, i) => c !== theirs[i]) : -1;
    return `${kind}: results summed over iterations: ${text}${mismatch >= 0 ? ` — MISMATCH first at iteration ${mismatch} (${ours![mismatch]} vs ${theirs![mismatch]})` : ''}`;
  });
}
