/**
 * P1: C-STORE CT400 over one association; P3: C-STORE SMALL10K over one association and over
 * 4 concurrent associations (4 storescu processes, contiguous quarters of the files). DCMTK
 * storescu is the client for both servers (TCP_NODELAY=1 for it and both servers); each run
 * goes into an empty server, sides alternate which goes first, and a QIDO-RS count afterwards
 * checks that every instance was stored. Each round first measures this machine's
 * durable-write ceiling for the same file count and size, for the "share of the ceiling" row,
 * and the DIMSE floor: DCMTK storescp receiving the same files without fsync (dimse-floor.ts).
 */
import type { Manifest } from '../generate.js';
import type { ServerFactory, Side } from '../servers.js';
import { max, mbPerSecond, median } from '../stats.js';
import {
  qidoInstanceCount,
  splitContiguous,
  storescu,
  storescuArgs,
  storescuVersion,
  type StorescuRun,
} from '../storescu.js';
import { ceilingContent, durableWrites, settleDisk } from './ceiling.js';
import { measureDimseFloor, type FloorSample } from './dimse-floor.js';
import { kbToMb, withServer, type BenchContext } from './context.js';
import type { Row, WorkloadResult } from './types.js';

interface StoreSample {
  run: number;
  associations: number;
  ms: number;
  instancesPerS: number;
  mbPerS: number;
  peakRssMb: number;
  /** Instances QIDO-RS answered afterwards. */
  stored: number;
  exitCodes: (number | null)[];
  /** instances/s ÷ the same round's durable-write ceiling (files/s), in %. */
  ceilingShare: number;
}

interface Ceiling {
  ms: number;
  files: number;
  bytes: number;
  filesPerS: number;
  mbPerS: number;
}

function measureCeiling(ctx: BenchContext, content: Buffer, files: number): Ceiling {
  const dir = ctx.scratch.dir('cstore-ceiling');
  try {
    settleDisk();
    const s = durableWrites(dir, content, files);
    return { ...s, filesPerS: (s.files / s.ms) * 1000, mbPerS: mbPerSecond(s.bytes, s.ms) };
  } finally {
    ctx.scratch.remove(dir);
  }
}

/** One measured store of `files` (relative to manifest.dir) into a fresh server over `associations` storescu processes. */
async function storeInto(
  ctx: BenchContext,
  factory: ServerFactory,
  manifest: Manifest,
  associations: number,
  run: number,
  ceilingFilesPerS: number,
  label: string,
): Promise<StoreSample> {
  const files = manifest.entries.map((e) => e.file);
  const dir = ctx.scratch.dir(`${factory.side}-${label}`);
  try {
    return await withServer(factory, dir, async (server) => {
      settleDisk();
      server.resetPeakRss();
      const slices = splitContiguous(files, associations);
      const started = performance.now();
      const runs: StorescuRun[] = await Promise.all(slices.map((slice) => storescu(server.dimse, slice, manifest.dir)));
      const ms = performance.now() - started;
      const peakRssMb = kbToMb(server.peakRssKb());
      const stored = await qidoInstanceCount(server.dicomWebUrl, ctx.agent);
      for (const r of runs)
        if (r.code !== 0 || r.output)
          ctx.log(
            `  ${label} ${factory.label}: storescu exit ${r.code}: ${r.output.split('\n').slice(-3).join(' | ')}`,
          );
      const instancesPerS = (files.length / ms) * 1000;
      return {
        run,
        associations,
        ms,
        instancesPerS,
        mbPerS: mbPerSecond(manifest.totalBytes, ms),
        peakRssMb,
        stored,
        exitCodes: runs.map((r) => r.code),
        ceilingShare: (instancesPerS / ceilingFilesPerS) * 100,
      };
    });
  } finally {
    ctx.scratch.remove(dir);
  }
}

type Samples = Partial<Record<Side, StoreSample[]>>;

const pick = (
  samples: Samples,
  f: (s: StoreSample) => number,
  agg: (v: number[]) => number,
): Partial<Record<Side, number>> =>
  Object.fromEntries(Object.entries(samples).map(([side, list]) => [side, agg(list.map(f))]));

function roundRatios(samples: Samples): string[] {
  return (samples.ours ?? [])
    .map((o) => ({ o, t: samples.orthanc?.find((t) => t.run === o.run) }))
    .filter((x): x is { o: StoreSample; t: StoreSample } => x.t !== undefined)
    .map(({ o, t }) => `${(t.ms / o.ms).toFixed(2)}×`);
}

/** Runs every round: ceiling first, then both sides (order alternating by round); failures become errors. */
async function rounds(
  ctx: BenchContext,
  id: string,
  manifest: Manifest,
  modes: number[],
  ceilingFiles: number,
): Promise<{
  samples: Map<number, Samples>;
  ceilings: Ceiling[];
  floors: FloorSample[];
  errors: string[];
  incomplete: string[];
}> {
  /** The manifest's first file padded or cut to its mean file size. */
  const content = ceilingContent(manifest);
  const samples = new Map<number, Samples>(modes.map((m) => [m, {}]));
  const ceilings: Ceiling[] = [];
  const floors: FloorSample[] = [];
  const errors: string[] = [];
  const incomplete: string[] = [];
  const total = manifest.entries.length;
  for (let run = 1; run <= ctx.options.runs; run++) {
    await ctx.quiet(`${id} round ${run}`);
    const ceiling = measureCeiling(ctx, content, ceilingFiles);
    ceilings.push(ceiling);
    ctx.log(
      `  ${id} run ${run} ceiling: ${ceilingFiles} × ${(content.length / 1000).toFixed(1)} KB durable in ${(ceiling.ms / 1000).toFixed(2)} s (${ceiling.filesPerS.toFixed(0)} files/s, ${ceiling.mbPerS.toFixed(0)} MB/s)`,
    );
    for (const mode of modes) {
      try {
        await ctx.quiet(`${id} ${mode}×assoc run ${run} storescp floor`);
        const floor = await measureDimseFloor(ctx, manifest, mode);
        if (floor.written !== total) throw new Error(`storescp wrote ${floor.written} of ${total} files`);
        floors.push(floor);
        ctx.log(
          `  ${id} ${mode}×assoc run ${run} storescp floor (files, no fsync, no index): ${(floor.ms / 1000).toFixed(2)} s, ${floor.instancesPerS.toFixed(0)} instances/s`,
        );
      } catch (err) {
        errors.push(`${id} storescp floor ${mode}×assoc run ${run}: ${(err as Error).message}`);
      }
      for (const factory of run % 2 ? ctx.factories : [...ctx.factories].reverse()) {
        const label = `${id} ${mode}×assoc`;
        try {
          await ctx.quiet(`${label} run ${run} ${factory.label}`);
          const s = await storeInto(
            ctx,
            factory,
            manifest,
            mode,
            run,
            ceiling.filesPerS,
            `${id.toLowerCase()}-${mode}`,
          );
          (samples.get(mode)![factory.side] ??= []).push(s);
          ctx.log(
            `  ${label} run ${run} ${factory.label}: ${(s.ms / 1000).toFixed(2)} s, ${s.instancesPerS.toFixed(0)} instances/s, ${s.mbPerS.toFixed(1)} MB/s, peak RSS ${s.peakRssMb.toFixed(0)} MB, QIDO count ${s.stored}/${total}`,
          );
          if (s.stored !== total || s.exitCodes.some((c) => c !== 0))
            incomplete.push(
              `${factory.label} ${mode}×assoc run ${run}: QIDO count ${s.stored}/${total}, storescu exit codes ${s.exitCodes.join(',')}`,
            );
        } catch (err) {
          errors.push(`${id} ${factory.label} ${mode}×assoc run ${run}: ${(err as Error).message}`);
          ctx.log(`  ${id} ${factory.label} failed: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
  }
  return { samples, ceilings, floors, errors, incomplete };
}

/** P1's second target (PROTOCOL.md): ours ≥ 55 % of the same round's storescp floor (medians). */
function floorShareRow(floors: FloorSample[], samples: Samples): Row[] {
  if (floors.length === 0 || !samples.ours?.length) return [];
  const floor = median(floors.map((f) => f.instancesPerS));
  const ours = median(samples.ours.map((s) => s.instancesPerS));
  return [
    {
      workload: 'P1',
      metric: 'instances/s ÷ same-round storescp floor',
      unit: '%',
      better: 'higher',
      values: { ours: (ours / floor) * 100 },
      target: { text: '≥ 55 %', minOurs: 55 },
    },
  ];
}

/** The floor's note: storescp's median rate, and as a multiple of Orthanc's median in the same rounds. */
function floorNote(name: string, floors: FloorSample[], samples: Samples): string | undefined {
  if (floors.length === 0) return undefined;
  const floor = median(floors.map((f) => f.instancesPerS));
  const orthanc = samples.orthanc?.length ? median(samples.orthanc.map((s) => s.instancesPerS)) : undefined;
  const ours = samples.ours?.length ? median(samples.ours.map((s) => s.instancesPerS)) : undefined;
  return `${name ? `${name}: ` : ''}DIMSE floor — DCMTK storescp writing files without fsync and without an index (storescp --fork -od DIR), fed by the same storescu: ${floors.map((f) => `${f.instancesPerS.toFixed(0)}`).join(', ')} instances/s (median ${floor.toFixed(0)})${orthanc ? ` = ${(floor / orthanc).toFixed(2)}× Orthanc` : ''}${ours ? `; ours reaches ${((ours / floor) * 100).toFixed(0)} % of it` : ''}. No receiver that acknowledges only durable data can be faster than this floor on this machine.`;
}

function countNote(samples: Samples, total: number, incomplete: string[]): string {
  const sides = Object.entries(samples)
    .map(([side, list]) => `${side} ${list.length}`)
    .join(', ');
  return incomplete.length
    ? `Stored-instance check (QIDO-RS instances count after each run) FAILED: ${incomplete.join('; ')}.`
    : `Stored-instance check: after every run QIDO-RS on the server counted all ${total} instances (runs: ${sides}).`;
}

function clientNote(): string {
  return `Client: ${storescuVersion()}, \`${storescuArgs({ aet: '<called AE>', port: 0 }, ['<files…>']).join(' ').replace(' 0 ', ' <port> ')}\` with TCP_NODELAY=1 (default presentation contexts and PDU sizes: it sends PDUs of min(131072, the server's max); ours offers 262144, Orthanc 16384 by default). Wall time = storescu start → exit (includes its own file reading and association set-up, the same on both sides).`;
}

export async function runP1(ctx: BenchContext): Promise<WorkloadResult> {
  const manifest = ctx.data.ct400();
  const total = manifest.entries.length;
  const { samples: bySize, ceilings, floors, errors, incomplete } = await rounds(ctx, 'P1', manifest, [1], total);
  const samples = bySize.get(1)!;
  const notes: string[] = [];
  const floor = floorNote('', floors, samples);
  if (floor) notes.push(floor);
  const ratios = roundRatios(samples);
  if (ratios.length) notes.push(`Ratio round by round (Orthanc time ÷ ours): ${ratios.join(', ')}.`);
  notes.push(
    `CT400 = ${total} files, ${(manifest.totalBytes / 1e6).toFixed(1)} MB, one association; median of ${ctx.options.runs} runs, each into an empty server, sync(1) before each run (sides alternate which goes first).`,
    clientNote(),
    countNote(samples, total, incomplete),
    `Ceiling share: each round first measures the durable-write ceiling (${total} × ${(ceilingContent(manifest).length / 1000).toFixed(0)} KB, write + fdatasync + folder fsync each, sequential, as CEIL); median over rounds of instances/s ÷ that round's files/s. Ceilings this run: ${ceilings.map((c) => `${(c.ms / 1000).toFixed(2)} s`).join(', ')}. Both servers fsync what they store (see the configurations).`,
  );
  return {
    id: 'P1',
    title: 'C-STORE CT400, one association (storescu)',
    rows: [
      {
        workload: 'P1',
        metric: 'wall time',
        unit: 's',
        better: 'lower',
        values: pick(samples, (s) => s.ms / 1000, median),
      },
      {
        workload: 'P1',
        metric: 'instances/s',
        unit: '/s',
        better: 'higher',
        values: pick(samples, (s) => s.instancesPerS, median),
        target: { text: '≥ 2×', minRatio: 2 },
      },
      {
        workload: 'P1',
        metric: 'throughput',
        unit: 'MB/s',
        better: 'higher',
        values: pick(samples, (s) => s.mbPerS, median),
      },
      {
        workload: 'P1',
        metric: 'server peak RSS',
        unit: 'MB',
        better: 'lower',
        values: pick(samples, (s) => s.peakRssMb, max),
      },
      {
        workload: 'P1',
        metric: 'instances/s ÷ same-round durable-write ceiling',
        unit: '%',
        better: 'higher',
        values: pick(samples, (s) => s.ceilingShare, median),
      },
      ...floorShareRow(floors, samples),
    ],
    notes,
    raw: { samples, ceilings, floors, bytes: manifest.totalBytes, instances: total },
    errors,
  };
}

/** Files in P3's per-round small-file ceiling (≈ 1 s at ~1,000 fsync'ed files/s). */
export const P3_CEILING_FILES = 1_000;

export async function runP3(ctx: BenchContext): Promise<WorkloadResult> {
  const manifest = ctx.data.small10k();
  const total = manifest.entries.length;
  const meanKb = manifest.totalBytes / total / 1000;
  const { samples, ceilings, floors, errors, incomplete } = await rounds(ctx, 'P3', manifest, [1, 4], P3_CEILING_FILES);
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const [mode, s] of samples) {
    const name = mode === 1 ? '1 association' : `${mode} concurrent associations`;
    rows.push(
      {
        workload: 'P3',
        metric: `${name}: wall time`,
        unit: 's',
        better: 'lower',
        values: pick(s, (x) => x.ms / 1000, median),
      },
      {
        workload: 'P3',
        metric: `${name}: instances/s`,
        unit: '/s',
        better: 'higher',
        values: pick(s, (x) => x.instancesPerS, median),
        target: { text: '≥ 1.5×', minRatio: 1.5 },
      },
      {
        workload: 'P3',
        metric: `${name}: server peak RSS`,
        unit: 'MB',
        better: 'lower',
        values: pick(s, (x) => x.peakRssMb, max),
        target: { text: "≤ 2× Orthanc's", minRatio: 0.5 },
      },
      {
        workload: 'P3',
        metric: `${name}: instances/s ÷ same-round 1-thread durable-write ceiling`,
        unit: '%',
        better: 'higher',
        values: pick(s, (x) => x.ceilingShare, median),
      },
    );
    const ratios = roundRatios(s);
    if (ratios.length) notes.push(`${name}: ratio round by round (Orthanc time ÷ ours): ${ratios.join(', ')}.`);
    notes.push(
      `${name}: ${countNote(
        s,
        total,
        incomplete.filter((i) => i.includes(`${mode}×assoc`)),
      )}`,
    );
    const floor = floorNote(
      name,
      floors.filter((f) => f.associations === mode),
      s,
    );
    if (floor) notes.push(floor);
  }
  notes.push(
    `SMALL10K = ${total} files (${(manifest.totalBytes / 1e6).toFixed(1)} MB, mean ${meanKb.toFixed(1)} KB); 4 associations = 4 storescu processes started together, each with a contiguous quarter of the files (a study's 2 instances on the same association), wall = first start → last exit. Median of ${ctx.options.runs} runs, each into an empty server, sync(1) before each run (sides alternate which goes first).`,
    clientNote(),
    `Ceiling share: each round first writes ${P3_CEILING_FILES} files of SMALL10K's mean size durably (write + fdatasync + folder fsync each, sequential, one thread); instances/s ÷ that files/s. Ceilings this run: ${ceilings.map((c) => `${c.filesPerS.toFixed(0)} files/s`).join(', ')}. A server that commits several instances per fsync (group commit) can exceed 100 %.`,
  );
  return {
    id: 'P3',
    title: 'C-STORE SMALL10K, one association and 4 concurrent associations (storescu)',
    rows,
    notes,
    raw: { samples: Object.fromEntries(samples), ceilings, floors, bytes: manifest.totalBytes, instances: total },
    errors,
  };
}
