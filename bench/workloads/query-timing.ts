/** Timing loop shared by P4 and SCALE: kinds interleaved, warm-up first, p50/p95 per run. */
import type { Agent } from 'node:http';
import { median, percentile } from '../stats.js';

export interface TimedCall {
  ms: number;
  /** Time to the first body byte, where the call measures it. */
  firstByteMs?: number;
  /** Result count (datasets in a QIDO answer, instances in metadata). */
  count: number;
  /** Body bytes, where the call counts them. */
  bytes?: number;
}

export interface QueryTimings<K extends string> {
  /** Per run, per kind: latencies in ms. */
  runs: Record<K, number[]>[];
  /** Per run, per kind: times to the first body byte in ms (empty for calls that do not measure it). */
  firstByte: Record<K, number[]>[];
  /** Result counts per kind, per iteration (first run). */
  counts: Record<K, number[]>;
  /** Body bytes per kind, per iteration (first run; empty for calls that do not count them). */
  bytes: Record<K, number[]>;
  /** The query budget ran out before all runs/iterations were done. */
  cut: boolean;
}

export interface TimingOptions<K extends string> {
  kinds: readonly K[];
  call: (kind: K, i: number, agent: Agent) => Promise<TimedCall>;
  agent: Agent;
  runs: number;
  iterations: number;
  warmupPerKind: number;
  budgetMs: number;
}

export async function timeQueries<K extends string>(o: TimingOptions<K>): Promise<QueryTimings<K>> {
  const empty = (): Record<K, number[]> =>
    Object.fromEntries(o.kinds.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (const kind of o.kinds) for (let i = 0; i < o.warmupPerKind; i++) await o.call(kind, i, o.agent);
  const deadline = Date.now() + o.budgetMs;
  const runs: Record<K, number[]>[] = [];
  const firstByte: Record<K, number[]>[] = [];
  const counts = empty();
  const bytes = empty();
  for (let run = 0; run < o.runs && Date.now() < deadline; run++) {
    const times = empty();
    const firsts = empty();
    for (let i = 0; i < o.iterations && Date.now() < deadline; i++) {
      for (const kind of o.kinds) {
        const r = await o.call(kind, i, o.agent);
        times[kind].push(r.ms);
        if (r.firstByteMs !== undefined) firsts[kind].push(r.firstByteMs);
        if (run === 0) counts[kind].push(r.count);
        if (run === 0 && r.bytes !== undefined) bytes[kind].push(r.bytes);
      }
    }
    runs.push(times);
    firstByte.push(firsts);
  }
  return { runs, firstByte, counts, bytes, cut: Date.now() >= deadline };
}

/** Median over runs of the per-run percentile p of one kind (of the first-byte times with `firstByte`). */
export function medianOfRuns<K extends string>(t: QueryTimings<K>, kind: K, p: number, firstByte = false): number {
  return median((firstByte ? t.firstByte : t.runs).map((r) => percentile(r[kind], p)));
}
