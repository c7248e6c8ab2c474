/**
 * SCALEOUT (issue 22, `--backend postgres` only): N `serve` processes on one PostgreSQL database
 * and one bucket prefix (docs/scaling.md's topology), N = 1 and then 2, each N on a fresh database
 * and prefix. One mixed load spread over the processes: SMALL10K's first 2,000 instances by C-STORE
 * over 4 storescu associations (contiguous quarters, association a → process a mod N) while its next
 * 1,000 go by STOW-RS in 2 lanes of sequential requests of --batch instances (lane l → process
 * l mod N). Reported per N: instances/s (first send → last acknowledgement), each process's CPU
 * per instance it received, the PostgreSQL cluster's CPU, the bench process's (s3rver, STOW client)
 * and the time from the last acknowledgement until every study is in FHIR exactly once with its
 * instance count (the bridge's outbox is shared in the database: whichever process claims a study
 * syncs it). Checked afterwards: QIDO-RS through every process lists every acknowledged study with
 * all its instances, FHIR through every process lists each ImagingStudy exactly once, and no
 * ImagingStudy was written twice with the same count (no sync repeated by the other process).
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stow } from '../dicomweb.js';
import { entryPath, type Manifest, type ManifestEntry } from '../generate.js';
import { fileParts } from '../multipart.js';
import { postgresCpuS } from '../postgres-cpu.js';
import { compareStudies, instancesByStudy, repeatedWrites } from '../scaleout-checks.js';
import {
  fhirStudies,
  imagingStudyVersions,
  outboxRows,
  processCpuS,
  qidoStudies,
  quarantinedStudies,
  repeatedWriteDetail,
} from '../scaleout-reads.js';
import type { RunningServer, ServerFactory } from '../servers.js';
import { median } from '../stats.js';
import { splitContiguous, storescu } from '../storescu.js';
import { bridgeIdle, type BenchContext } from './context.js';
import type { Row, WorkloadResult } from './types.js';

export interface ScaleOutOptions {
  /** SMALL10K's first instances, sent by C-STORE. */
  cstoreInstances: number;
  /** The instances after those, sent by STOW-RS. */
  stowInstances: number;
  /** storescu processes (one association each), spread over the serve processes. */
  associations: number;
  /** STOW-RS lanes (sequential requests each), spread over the serve processes. */
  stowLanes: number;
  /** Numbers of serve processes measured, in this order in odd runs (reversed in even ones). */
  processes: number[];
  /** Longest wait from the last acknowledgement for every study in FHIR. */
  fhirTimeoutMs: number;
}

export const SCALEOUT_DEFAULTS: ScaleOutOptions = {
  cstoreInstances: 2_000,
  stowInstances: 1_000,
  associations: 4,
  stowLanes: 2,
  processes: [1, 2],
  fhirTimeoutMs: 120_000,
};

interface ProcessSample {
  /** 1-based, in start order. */
  process: number;
  /** Instances sent to this process (C-STORE and STOW). */
  received: number;
  /** CPU seconds from the first send to the last acknowledgement, and from then until FHIR was complete. */
  cpuLoadS: number;
  cpuBridgeS: number;
}

interface ScaleOutSample {
  run: number;
  processes: number;
  instances: number;
  studies: number;
  loadMs: number;
  instancesPerS: number;
  /** Last acknowledgement → every study in FHIR exactly once (undefined: not within the timeout). */
  fhirMs?: number;
  perProcess: ProcessSample[];
  postgresCpuLoadS: number;
  postgresCpuBridgeS: number;
  benchCpuS: number;
  imagingStudyVersions: number;
  quarantined: number;
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until no process used more than 30 ms of CPU in a second (start-up work done), at most `maxMs`. */
async function cpuSettled(pids: number[], maxMs = 30_000): Promise<void> {
  let before = pids.map(processCpuS);
  for (const until = Date.now() + maxMs; Date.now() < until; ) {
    await sleep(1000);
    const now = pids.map(processCpuS);
    if (now.every((c, i) => c - before[i]! <= 0.03)) return;
    before = now;
  }
}

interface Load {
  ms: number;
  received: number[];
  failures: string[];
}

/** The mixed load: storescu associations and STOW-RS lanes together, spread round-robin over `servers`. */
async function sendLoad(
  ctx: BenchContext,
  servers: RunningServer[],
  manifest: Manifest,
  cstore: ManifestEntry[],
  stowed: ManifestEntry[],
  o: ScaleOutOptions,
): Promise<Load> {
  const received = servers.map(() => 0);
  const failures: string[] = [];
  const lanes: Promise<void>[] = [];
  const started = performance.now();
  splitContiguous(cstore, o.associations).forEach((slice, a) => {
    const k = a % servers.length;
    received[k]! += slice.length;
    lanes.push(
      storescu(
        servers[k]!.dimse,
        slice.map((e) => e.file),
        manifest.dir,
      ).then((r) => {
        if (r.code !== 0)
          failures.push(
            `storescu ${a + 1} → process ${k + 1}: exit ${r.code}: ${r.output.split('\n').slice(-3).join(' | ')}`,
          );
      }),
    );
  });
  const batch = ctx.options.batchSize;
  splitContiguous(stowed, o.stowLanes).forEach((slice, l) => {
    const k = l % servers.length;
    received[k]! += slice.length;
    lanes.push(
      (async () => {
        for (let i = 0; i < slice.length; i += batch) {
          const part = slice.slice(i, i + batch);
          const r = await stow(
            servers[k]!.dicomWebUrl,
            fileParts(part.map((e) => ({ path: entryPath(manifest, e), size: e.size }))),
            {
              agent: ctx.agent,
              timeoutMs: 300_000,
            },
          );
          if (r.stored !== part.length)
            failures.push(
              `STOW lane ${l + 1} → process ${k + 1}: stored ${r.stored}/${part.length}, failed ${r.failed}`,
            );
        }
      })().catch((err: Error) => {
        failures.push(`STOW lane ${l + 1} → process ${k + 1}: ${err.message.split('\n')[0]}`);
      }),
    );
  });
  await Promise.all(lanes);
  return { ms: performance.now() - started, received, failures };
}

/** From now until the outbox is empty and FHIR lists every study once with its count; undefined on timeout. */
async function untilFhirComplete(
  db: pg.ClientBase,
  fhirBase: string,
  expected: Map<string, number>,
  ctx: BenchContext,
  timeoutMs: number,
): Promise<{ ms?: number; problems: string[] }> {
  const from = performance.now();
  let problems = ['the outbox never emptied'];
  while (performance.now() - from < timeoutMs) {
    if ((await outboxRows(db)) === 0) {
      problems = compareStudies('FHIR', expected, await fhirStudies(fhirBase, ctx.agent));
      if (problems.length === 0) return { ms: performance.now() - from, problems };
    }
    await sleep(250);
  }
  return { problems };
}

const fhirOf = (server: RunningServer): string => `${server.dicomWebUrl.replace(/\/dicomweb$/, '')}/fhir`;

/** One measurement: `n` processes on a fresh database and prefix, the load, the bridge's catch-up, the checks. */
async function measure(
  ctx: BenchContext,
  ours: ServerFactory & { freshDatabase(): Promise<string> },
  n: number,
  run: number,
  o: ScaleOutOptions,
): Promise<ScaleOutSample> {
  const manifest = ctx.data.small10k();
  const cstore = manifest.entries.slice(0, o.cstoreInstances);
  const stowed = manifest.entries.slice(o.cstoreInstances, o.cstoreInstances + o.stowInstances);
  const expected = instancesByStudy([...cstore, ...stowed]);
  const database = await ours.freshDatabase();
  // The processes of one database share its audit key: the first start writes it, the others read it.
  const keyDir = ctx.scratch.dir('scaleout-key');
  const auditKey = join(keyDir, 'audit.key');
  const servers: RunningServer[] = [];
  const dirs: string[] = [keyDir];
  const db = new pg.Client({ connectionString: database });
  try {
    for (let i = 0; i < n; i++) {
      const dir = ctx.scratch.dir(`scaleout-n${n}-${i + 1}`);
      dirs.push(dir);
      servers.push(
        await ours.start(dir, {
          database,
          blobPrefix: `scaleout-r${run}-n${n}`,
          // One public URL for all, as behind the load balancer of a real deployment: each
          // process would otherwise name its own port in the study's Endpoint, and a study
          // synced again by the other process (at-least-once) would be rewritten for that alone.
          args: ['--audit-key-file', auditKey, '--public-url', 'http://imaging-bridge.invalid/'],
        }),
      );
    }
    await db.connect();
    for (const s of servers) await bridgeIdle(s);
    await cpuSettled(servers.map((s) => s.pid));
    await ctx.quiet(`SCALEOUT N=${n} run ${run}`);

    const cpu = () => ({
      servers: servers.map((s) => processCpuS(s.pid)),
      pg: postgresCpuS(),
      bench: process.cpuUsage(),
    });
    const c0 = cpu();
    const load = await sendLoad(ctx, servers, manifest, cstore, stowed, o);
    const c1 = cpu();
    const fhir = await untilFhirComplete(db, fhirOf(servers[0]!), expected, ctx, o.fhirTimeoutMs);
    const c2 = cpu();
    const bench = process.cpuUsage(c0.bench);

    const problems = [...load.failures, ...fhir.problems];
    for (const [i, s] of servers.entries()) {
      problems.push(
        ...compareStudies(`QIDO-RS through process ${i + 1}`, expected, await qidoStudies(s.dicomWebUrl, ctx.agent)),
      );
      if (i > 0)
        problems.push(
          ...compareStudies(`FHIR through process ${i + 1}`, expected, await fhirStudies(fhirOf(s), ctx.agent)),
        );
    }
    const versions = await imagingStudyVersions(db);
    const repeated = repeatedWrites(versions);
    if (repeated.length) {
      const detail: string[] = [];
      for (const id of repeated.slice(0, 5)) detail.push(await repeatedWriteDetail(db, id));
      problems.push(`${repeated.length} ImagingStudies written again with no more instances: ${detail.join('; ')}`);
    }
    const instances = cstore.length + stowed.length;
    return {
      run,
      processes: n,
      instances,
      studies: expected.size,
      loadMs: load.ms,
      instancesPerS: (instances / load.ms) * 1000,
      ...(fhir.ms === undefined ? {} : { fhirMs: fhir.ms }),
      perProcess: servers.map((_, i) => ({
        process: i + 1,
        received: load.received[i]!,
        cpuLoadS: c1.servers[i]! - c0.servers[i]!,
        cpuBridgeS: c2.servers[i]! - c1.servers[i]!,
      })),
      postgresCpuLoadS: c1.pg - c0.pg,
      postgresCpuBridgeS: c2.pg - c1.pg,
      benchCpuS: (bench.user + bench.system) / 1e6,
      imagingStudyVersions: versions.length,
      quarantined: await quarantinedStudies(db),
      problems,
    };
  } catch (err) {
    const output = servers.map((s, i) => `--- process ${i + 1} ---\n${s.output().split('\n').slice(-10).join('\n')}`);
    throw new Error(`${(err as Error).message}\n${output.join('\n')}`);
  } finally {
    await db.end().catch(() => undefined);
    for (const s of servers) await s.stop();
    for (const d of dirs) ctx.scratch.remove(d);
  }
}

const ms = (s: number, instances: number): number => (s * 1000) / instances;
const cpuOf = (p: ProcessSample): number => p.cpuLoadS + p.cpuBridgeS;

function rowsFor(n: number, samples: ScaleOutSample[]): Row[] {
  const row = (metric: string, unit: string, better: Row['better'], f: (s: ScaleOutSample) => number): Row => ({
    workload: 'SCALEOUT',
    metric: `N=${n}: ${metric}`,
    unit,
    better,
    values: { ours: median(samples.map(f)) },
  });
  const rows: Row[] = [
    row('instances/s (C-STORE + STOW-RS, first send → last ack)', '/s', 'higher', (s) => s.instancesPerS),
  ];
  const timed = samples.filter((s) => s.fhirMs !== undefined);
  if (timed.length)
    rows.push({
      ...row('last ack → every study in FHIR exactly once', 's', 'lower', (s) => s.fhirMs! / 1000),
      values: { ours: median(timed.map((s) => s.fhirMs! / 1000)) },
    });
  rows.push(
    row('server CPU per instance, all processes (load + bridge)', 'ms', 'lower', (s) =>
      ms(
        s.perProcess.reduce((t, p) => t + cpuOf(p), 0),
        s.instances,
      ),
    ),
  );
  for (let i = 0; i < n; i++)
    rows.push(
      row(`process ${i + 1} CPU per instance it received (load + bridge)`, 'ms', 'lower', (s) =>
        ms(cpuOf(s.perProcess[i]!), s.perProcess[i]!.received),
      ),
    );
  rows.push(
    row('PostgreSQL CPU per instance (load + bridge)', 'ms', 'lower', (s) =>
      ms(s.postgresCpuLoadS + s.postgresCpuBridgeS, s.instances),
    ),
    row('bench process CPU per instance (s3rver, STOW client, checks)', 'ms', 'lower', (s) =>
      ms(s.benchCpuS, s.instances),
    ),
  );
  return rows;
}

function sampleLine(s: ScaleOutSample): string {
  const procs = s.perProcess
    .map(
      (p) =>
        `#${p.process} got ${p.received}, CPU ${p.cpuLoadS.toFixed(1)} s load + ${p.cpuBridgeS.toFixed(1)} s after`,
    )
    .join('; ');
  return `N=${s.processes} run ${s.run}: ${s.instances} instances in ${(s.loadMs / 1000).toFixed(1)} s (${s.instancesPerS.toFixed(0)}/s); FHIR complete ${s.fhirMs === undefined ? 'NOT within the timeout' : `${(s.fhirMs / 1000).toFixed(1)} s after the last ack`}; ${procs}; PostgreSQL ${s.postgresCpuLoadS.toFixed(1)} + ${s.postgresCpuBridgeS.toFixed(1)} s; bench process ${s.benchCpuS.toFixed(1)} s; ${s.imagingStudyVersions} ImagingStudy versions for ${s.studies} studies; ${s.quarantined} quarantined`;
}

export async function runScaleOut(ctx: BenchContext, options: Partial<ScaleOutOptions> = {}): Promise<WorkloadResult> {
  const o = { ...SCALEOUT_DEFAULTS, ...options };
  const title = `${o.processes.join(' and ')} serve processes on one PostgreSQL and one bucket: C-STORE + STOW-RS spread over them`;
  const ours = ctx.factories.find((f) => f.side === 'ours');
  if (!ours?.freshDatabase)
    return {
      id: 'SCALEOUT',
      title,
      rows: [],
      notes: [],
      raw: {},
      errors: ['SCALEOUT runs with --backend postgres only'],
    };
  const shared = ours as ServerFactory & { freshDatabase(): Promise<string> };
  const samples: ScaleOutSample[] = [];
  const errors: string[] = [];
  for (let run = 1; run <= ctx.options.runs; run++) {
    for (const n of run % 2 ? o.processes : [...o.processes].reverse()) {
      try {
        const s = await measure(ctx, shared, n, run, o);
        samples.push(s);
        ctx.log(`  SCALEOUT ${sampleLine(s)}`);
        for (const p of s.problems) errors.push(`SCALEOUT N=${n} run ${run}: ${p}`);
      } catch (err) {
        errors.push(`SCALEOUT N=${n} run ${run}: ${(err as Error).message}`);
        ctx.log(`  SCALEOUT N=${n} run ${run} failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  const rows = o.processes.flatMap((n) => {
    const of = samples.filter((s) => s.processes === n);
    return of.length ? rowsFor(n, of) : [];
  });
  const rate = (n: number) => {
    const of = samples.filter((s) => s.processes === n);
    return of.length ? median(of.map((s) => s.instancesPerS)) : undefined;
  };
  const [first, last] = [rate(o.processes[0]!), rate(o.processes.at(-1)!)];
  const first0 = samples[0];
  const notes = [
    `Load per measurement: SMALL10K's first ${o.cstoreInstances} instances by C-STORE over ${o.associations} storescu associations (contiguous slices, a study's instances on one association; association a → process a mod N) together with its next ${o.stowInstances} by STOW-RS in ${o.stowLanes} lanes of sequential ${ctx.options.batchSize}-instance requests (lane l → process l mod N)${first0 ? `: ${first0.instances} instances in ${first0.studies} studies` : ''}. Each N on a fresh database and bucket prefix, every process started with the same --database, --blob-store s3://…/scaleout-rR-nN and --audit-key-file, each with a data dir of its own; measured once start-up CPU had settled. ${ctx.options.runs} run(s), medians; N order alternates by run.`,
    'instances/s = instances ÷ (first send → last acknowledgement). FHIR complete = from the last acknowledgement until the shared outbox (archive.sync_outbox) is empty and a FHIR search through process 1 (ImagingStudy, _count=1000 pages) lists every study exactly once with its instance count (polled every 250 ms, the search only once the outbox is empty).',
    'CPU from /proc/<pid>/stat (utime + stime, all threads) over the load and then until FHIR complete: each serve process ÷ the instances sent to it (it also syncs studies other processes received: the bridge work goes to whichever process claims the study in the shared outbox), all serve processes ÷ all instances, the throwaway PostgreSQL cluster (its processes under this one) ÷ all instances, and this bench process (s3rver in process, the STOW client, the checks; storescu runs in processes of its own and is not counted).',
    'Checks after each measurement: QIDO-RS studies (NumberOfStudyRelatedInstances) through every process list every acknowledged study with all its instances and nothing else; FHIR ImagingStudy search through every process lists each study exactly once with its count; no ImagingStudy version in fhir.versions holds no more instances than the version before it (a sync repeated by a second process).',
    `Machine: ${cpus().length} cores shared by the N serve processes, PostgreSQL, s3rver, ${o.associations} storescu and the STOW client (and other sessions' work): N=2 here shows contention for the same cores, not what a second host adds.`,
  ];
  if (first !== undefined && last !== undefined && o.processes.length > 1)
    notes.push(`instances/s N=${o.processes.at(-1)} ÷ N=${o.processes[0]} = ${(last / first).toFixed(2)}×.`);
  for (const s of samples) notes.push(sampleLine(s));
  return {
    id: 'SCALEOUT',
    title,
    rows,
    notes,
    raw: { options: o, batch: ctx.options.batchSize, samples },
    errors,
  };
}
