/**
 * P10: the stroke thrombolysis check (issue 17) under a code-stroke load, ours only.
 *
 * Our server starts with --demo: twenty stroke candidates with full records (labs, vitals,
 * medications, history). Once the demo's own head CTs are checked, each candidate gets a NEW head
 * CT at once — twenty concurrent code strokes — sent by STOW-RS (one request per study) and, in a
 * second round, by C-STORE (one DCMTK storescu per study). Latency of a study: from the
 * acknowledgement of its last instance (the STOW answer; storescu's exit after its last C-STORE
 * response) until BOTH the check's FHIR resources are readable (GET /fhir/List/<run id>) AND
 * GET /api/stroke/assessment?identifier=<MRN>&study=<uid> answers 200 with that study.
 * Targets: p99 ≤ 3 s, aim ≤ 1 s. Then GET /api/stroke/assessment alone under 20 clients
 * (random candidates and their demo head CT): p95 ≤ 50 ms.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runIds } from '../../src/applications/stroke/index.js';
import { demoDataset } from '../../src/demo/dataset.js';
import { studyInstances } from '../../src/demo/dicom-study.js';
import { MRN_SYSTEM } from '../../src/demo/identifiers.js';
import { Rng } from '../../src/demo/prng.js';
import type { DemoStudy } from '../../src/demo/types.js';
import { multipartBody } from '../../test/support/multipart.js';
import { startTestServer } from '../../test/support/server.js';
import { httpCall, keepAliveAgent } from '../http-client.js';
import { median, percentile } from '../stats.js';
import { storescu, storescuAvailable } from '../storescu.js';
import type { BenchContext } from './context.js';
import type { Row, WorkloadResult } from './types.js';

export type Transport = 'stow' | 'cstore';

export interface P10Server {
  url: string;
  dimse: { port: number; aet: string };
  stop(): Promise<void>;
}

export interface P10Options {
  start: () => Promise<P10Server>;
  /** Folder for the C-STORE files. */
  workDir: string;
  /** Code-stroke patients per round (at most the demo's 20 stroke candidates). */
  patients?: number;
  clients?: number;
  requestsPerClient?: number;
  runs?: number;
  transports?: Transport[];
  pollMs?: number;
  timeoutMs?: number;
  quiet?: (label: string) => Promise<void>;
  log?: (line: string) => void;
  /** Diagnostics: the client's side of every timed GET and the phases, written to this folder (see PROBE_ENV). */
  probe?: Probe;
}

/**
 * IB_BENCH_PROBE=<folder>: the server runs with bench/probe/server-probe.mjs (requests as the server saw
 * them, event-loop delay, GC pauses, per-thread CPU, cache lookups) and the bench writes its side of
 * each GET (tag, send time, duration) and the phase marks next to it. Off by default.
 */
export const PROBE_ENV = 'IB_BENCH_PROBE';
const PROBE_MODULE = fileURLToPath(new URL('../probe/server-probe.mjs', import.meta.url));

export class Probe {
  private readonly marks: [string, number, number][] = [];
  private readonly gets: [string, number, number, string][] = [];
  private seq = 0;
  constructor(readonly dir: string) {}
  static fromEnv(): Probe | undefined {
    const dir = process.env[PROBE_ENV];
    if (!dir) return undefined;
    mkdirSync(dir, { recursive: true });
    return new Probe(dir);
  }
  mark(label: string): void {
    const cpu = process.cpuUsage();
    this.marks.push([label, performance.timeOrigin + performance.now(), (cpu.user + cpu.system) / 1e3]);
  }
  /** The server's node options: the probe; with IB_BENCH_PROBE_CPU_PROF=1 also a V8 CPU profile into the folder. */
  nodeArgs(): string[] {
    const prof = process.env.IB_BENCH_PROBE_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${this.dir}`] : [];
    return ['--import', pathToFileURL(PROBE_MODULE).href, ...prof];
  }
  /** A new request tag (sent as x-probe-id). */
  tag(phase: string): string {
    return `${phase}:${++this.seq}`;
  }
  get(tag: string, sentAt: number, ms: number, mrn: string): void {
    this.gets.push([tag, performance.timeOrigin + sentAt, ms, mrn]);
  }
  write(): void {
    writeFileSync(
      join(this.dir, `client-${process.pid}.json`),
      JSON.stringify({ marks: this.marks, gets: this.gets, cpu: process.cpuUsage() }),
    );
  }
}

interface Candidate {
  mrn: string;
  headCt: DemoStudy;
}

export interface P10Result {
  patients: number;
  /** ms from the last acknowledgement to the check readable, per transport over all runs. */
  latency: Partial<Record<Transport, number[]>>;
  get: { clients: number; requests: number; p50: number; p95: number; errors: number; perRun: number[] };
  errorSamples: string[];
}

const ROOT = '1.2.826.0.1.3680043.10.1456.910';
const WARMUP_PASSES = 5;

/** The demo's stroke candidates and their head CT (src/demo/stroke-records.ts). */
function candidates(): Candidate[] {
  return demoDataset()
    .records.filter((r) => r.patient.cohort === 'stroke')
    .flatMap((r) => {
      const ct = r.studies.find((s) => s.modality === 'CT' && /CT Head without/.test(s.description));
      return ct ? [{ mrn: r.patient.mrn, headCt: ct }] : [];
    });
}

export async function runP10(o: P10Options): Promise<P10Result> {
  const log = o.log ?? (() => undefined);
  const all = candidates();
  const patients = Math.min(o.patients ?? all.length, all.length);
  const clients = o.clients ?? 20;
  const perClient = o.requestsPerClient ?? 50;
  const runs = o.runs ?? 3;
  const pollMs = o.pollMs ?? 20;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const transports = o.transports ?? ['stow', 'cstore'];
  const server = await o.start();
  const agent = keepAliveAgent(Math.max(clients, patients * 2));
  const errorSamples: string[] = [];
  const latency: P10Result['latency'] = {};
  try {
    await demoChecked(server.url, all.length, agent, log);
    o.probe?.mark('ingest');
    for (let run = 1; run <= runs; run++) {
      for (const transport of transports) {
        await o.quiet?.(`P10 ${transport} run ${run}`);
        const studies = all.slice(0, patients).map((c, i) => ({
          c,
          study: {
            ...c.headCt,
            uid: `${ROOT}.${process.pid}.${run}.${transport === 'stow' ? 1 : 2}.${i + 1}`,
            accession: `P10${run}${transport === 'stow' ? 'S' : 'C'}${i + 1}`,
          },
        }));
        const ms = await Promise.all(
          studies.map(async ({ c, study }) => {
            const acked =
              transport === 'stow' ? await stowStudy(server.url, study, agent) : await cstoreStudy(server, study, o);
            await checkReadable(server.url, c.mrn, study.uid, agent, pollMs, acked + timeoutMs);
            return performance.now() - acked;
          }),
        );
        (latency[transport] ??= []).push(...ms);
        log(
          `  P10 ${transport} run ${run}: ${patients} concurrent head CTs, last ack → check readable p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms`,
        );
      }
    }
    o.probe?.mark('get');
    const get = await assessmentLoad(server.url, all, { clients, perClient, runs, agent, errorSamples, log, o });
    return { patients, latency, get, errorSamples };
  } finally {
    agent.destroy();
    await server.stop();
    o.probe?.write();
  }
}

/** The demo's own head CTs are checked once the bridge has written them: wait until every candidate has a run. */
async function demoChecked(url: string, expected: number, agent: Agent, log: (l: string) => void): Promise<void> {
  const deadline = Date.now() + 240_000;
  let have = 0;
  while (Date.now() < deadline) {
    const r = await httpCall(`${url}/api/stroke/recent?limit=100`, { agent, timeoutMs: 30_000 });
    const runs = (JSON.parse(r.body.toString()) as { runs?: { study: { description?: string } | null }[] }).runs ?? [];
    have = runs.filter((x) => /CT Head without/.test(x.study?.description ?? '')).length;
    if (have >= expected) return log(`  P10: the ${have} demo head CTs are checked`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`P10: only ${have} of ${expected} demo head CTs were checked within 4 minutes`);
}

async function stowStudy(url: string, study: DemoStudy, agent: Agent): Promise<number> {
  const { body, contentType } = multipartBody(
    studyInstances(study).map((i) => i.bytes),
    `p10-${study.accession}`,
  );
  const r = await httpCall(`${url}/dicomweb/studies`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'content-length': body.length },
    body,
    agent,
    timeoutMs: 60_000,
  });
  if (r.status !== 200) throw new Error(`P10: STOW of ${study.accession} answered ${r.status}`);
  return performance.now();
}

async function cstoreStudy(server: P10Server, study: DemoStudy, o: P10Options): Promise<number> {
  const dir = join(o.workDir, study.accession);
  mkdirSync(dir, { recursive: true });
  const files = studyInstances(study).map((inst, i) => {
    const name = `${i + 1}.dcm`;
    writeFileSync(join(dir, name), inst.bytes);
    return name;
  });
  const r = await storescu(server.dimse, files, dir, 60_000);
  if (r.code !== 0) throw new Error(`P10: storescu of ${study.accession} exited ${r.code}: ${r.output.slice(-300)}`);
  return performance.now();
}

/** Polls until the run's List is readable and the assessment API answers with the study. */
async function checkReadable(
  url: string,
  mrn: string,
  uid: string,
  agent: Agent,
  pollMs: number,
  deadline: number,
): Promise<void> {
  const list = `${url}/fhir/List/${runIds(uid).list}`;
  const api = `${url}/api/stroke/assessment?identifier=${encodeURIComponent(`${MRN_SYSTEM}|${mrn}`)}&study=${uid}`;
  for (;;) {
    const l = await httpCall(list, { agent, timeoutMs: 30_000 });
    if (l.status === 200) {
      const a = await httpCall(api, { agent, timeoutMs: 30_000 });
      const body = a.status === 200 ? (JSON.parse(a.body.toString()) as { study?: { studyInstanceUid?: string } }) : {};
      if (body.study?.studyInstanceUid === uid) return;
    }
    if (performance.now() > deadline) throw new Error(`P10: the check of study ${uid} was not readable in time`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** GET /api/stroke/assessment alone: `clients` back to back over keep-alive, random candidates' demo head CT. */
async function assessmentLoad(
  url: string,
  all: Candidate[],
  x: {
    clients: number;
    perClient: number;
    runs: number;
    agent: Agent;
    errorSamples: string[];
    log: (l: string) => void;
    o: P10Options;
  },
): Promise<P10Result['get']> {
  const rng = Rng.stream(10, 'p10');
  const probe = x.o.probe;
  let phase = 'warmup';
  const one = async (): Promise<{ ms: number; error?: string }> => {
    const c = all[rng.int(0, all.length - 1)]!;
    const tag = probe?.tag(phase);
    const sentAt = performance.now();
    const r = await httpCall(
      `${url}/api/stroke/assessment?identifier=${encodeURIComponent(`${MRN_SYSTEM}|${c.mrn}`)}&study=${c.headCt.uid}`,
      { agent: x.agent, timeoutMs: 60_000, ...(tag ? { headers: { 'x-probe-id': tag } } : {}) },
    );
    if (tag) probe!.get(tag, sentAt, r.totalMs, c.mrn);
    if (r.status !== 200) return { ms: r.totalMs, error: `HTTP ${r.status}` };
    const body = JSON.parse(r.body.toString()) as { complete?: boolean; factors?: unknown[] };
    if (!body.complete || body.factors?.length !== 16) return { ms: r.totalMs, error: 'incomplete answer' };
    return { ms: r.totalMs };
  };
  const clientsRun = async (n: number, record: (r: { ms: number; error?: string }) => void) =>
    Promise.all(
      Array.from({ length: x.clients }, async () => {
        for (let i = 0; i < n; i++) record(await one());
      }),
    );
  // Untimed warm-up (caches, statement preparation, the optimising compilers).
  await clientsRun(Math.ceil((all.length * WARMUP_PASSES) / x.clients), () => undefined);
  const p50s: number[] = [];
  const p95s: number[] = [];
  let errors = 0;
  let requests = 0;
  for (let run = 1; run <= x.runs; run++) {
    await x.o.quiet?.(`P10 GET run ${run}`);
    phase = `run${run}`;
    probe?.mark(`run${run}`);
    const times: number[] = [];
    await clientsRun(x.perClient, (r) => {
      times.push(r.ms);
      if (r.error) {
        errors++;
        if (x.errorSamples.length < 5) x.errorSamples.push(r.error);
      }
    });
    probe?.mark(`run${run}-end`);
    requests += times.length;
    p50s.push(percentile(times, 50));
    p95s.push(percentile(times, 95));
    x.log(
      `  P10 GET run ${run}: ${x.clients} clients, ${times.length} requests, p50 ${p50s.at(-1)!.toFixed(1)} ms, p95 ${p95s.at(-1)!.toFixed(1)} ms`,
    );
  }
  return { clients: x.clients, requests, p50: median(p50s), p95: median(p95s), errors, perRun: p95s };
}

/** The result as report rows. */
function rowsOf(r: P10Result): Row[] {
  const rows: Row[] = [];
  const names: Record<Transport, string> = { stow: 'STOW-RS', cstore: 'C-STORE (storescu)' };
  for (const t of ['stow', 'cstore'] as const) {
    const ms = r.latency[t];
    if (!ms?.length) continue;
    rows.push(
      {
        workload: 'P10',
        metric: `${r.patients} concurrent head CTs by ${names[t]}: last ack → check readable, p50`,
        unit: 'ms',
        better: 'lower',
        values: { ours: percentile(ms, 50) },
        target: { text: 'aim ≤ 1000 ms', maxOurs: 1000 },
      },
      {
        workload: 'P10',
        metric: `${r.patients} concurrent head CTs by ${names[t]}: last ack → check readable, p99`,
        unit: 'ms',
        better: 'lower',
        values: { ours: percentile(ms, 99) },
        target: { text: '≤ 3000 ms (aim ≤ 1000)', maxOurs: 3000 },
      },
    );
  }
  rows.push(
    {
      workload: 'P10',
      metric: `GET /api/stroke/assessment, ${r.get.clients} clients: p50`,
      unit: 'ms',
      better: 'lower',
      values: { ours: r.get.p50 },
    },
    {
      workload: 'P10',
      metric: `GET /api/stroke/assessment, ${r.get.clients} clients: p95`,
      unit: 'ms',
      better: 'lower',
      values: { ours: r.get.p95 },
      target: { text: '≤ 50 ms', maxOurs: 50 },
    },
    {
      workload: 'P10',
      metric: 'GET /api/stroke/assessment errors',
      unit: 'requests',
      better: 'lower',
      values: { ours: r.get.errors },
      target: { text: '0', maxOurs: 0 },
    },
  );
  return rows;
}

const TITLE = 'Stroke check: head CT acknowledged → thrombolysis check readable; the assessment API under load';

/** P10 as a bench/run.ts workload: our built server with --demo in the run's scratch folder. */
export async function runP10Workload(ctx: BenchContext): Promise<WorkloadResult> {
  const errors: string[] = [];
  const notes: string[] = [];
  let result: P10Result | undefined;
  const dir = ctx.scratch.dir('ours-p10');
  const transports: Transport[] = storescuAvailable() ? ['stow', 'cstore'] : ['stow'];
  const probe = Probe.fromEnv();
  if (probe) notes.push(`Diagnostic probe on (${PROBE_ENV}=${probe.dir}): timings include its sampling.`);
  if (transports.length === 1) errors.push("P10: DCMTK's storescu is not installed: the C-STORE round was not run");
  try {
    result = await runP10({
      runs: ctx.options.runs,
      transports,
      workDir: join(dir, 'files'),
      quiet: (label) => ctx.quiet(label),
      log: ctx.log,
      probe,
      start: () => startDemoServer(join(dir, 'data'), ctx.bridgeEntry, probe),
    });
    if (result.get.errors)
      errors.push(
        `P10: ${result.get.errors} of ${result.get.requests} GETs failed (${result.errorSamples.join('; ')})`,
      );
  } catch (err) {
    errors.push(`P10: ${(err as Error).message}`);
  } finally {
    ctx.scratch.remove(dir);
  }
  if (result)
    notes.push(
      `${ctx.options.runs} runs on one server started with --demo (20 stroke candidates with full records; embedded FHIR; defaults of \`serve --auth none\`). Per run and transport, each of the ${result.patients} candidates gets a new 4-instance head CT at the same moment (STOW-RS: one request per study; C-STORE: one storescu association per study); latency = from that study's last acknowledgement to the first poll (every 20 ms) at which GET /fhir/List/<run id> answers 200 and GET /api/stroke/assessment?identifier=<MRN>&study=<uid> answers with the study. p50/p99 over all runs' studies (nearest rank). GET alone: ${result.get.clients} clients back to back over keep-alive, ${result.get.requests} timed requests of random candidates' demo head CT after an untimed warm-up; median over runs of each run's percentile.`,
    );
  return { id: 'P10', title: TITLE, rows: result ? rowsOf(result) : [], notes, raw: { result }, errors };
}

async function startDemoServer(dataDir: string, entry?: string, probe?: Probe): Promise<P10Server> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const s = await startTestServer(
    { 'data-dir': dataDir, 'log-level': 'warn' },
    {
      spawn: {
        args: ['--demo'],
        startTimeoutMs: 180_000,
        ...(entry ? { entry } : {}),
        ...(probe ? { nodeArgs: probe.nodeArgs() } : {}),
      },
    },
  );
  return { url: s.url, dimse: { port: s.dicomPort, aet: 'IMGBRIDGE' }, stop: () => s.stop() };
}

/**
 * `node --import tsx bench/workloads/p10-stroke.ts [patients] [requestsPerClient] [runs]`: P10 alone on
 * dist/ (npm run build), figures printed; e.g. `… 3 5 1` to check that it works at a tiny scale.
 */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [patients, perClient, runs] = process.argv.slice(2).map(Number);
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'ib-p10-'));
  const probe = Probe.fromEnv();
  runP10({
    probe,
    patients: patients || undefined,
    requestsPerClient: perClient || undefined,
    runs: runs || undefined,
    transports: storescuAvailable() ? ['stow', 'cstore'] : ['stow'],
    workDir: join(dir, 'files'),
    start: () => startDemoServer(join(dir, 'data'), undefined, probe),
    log: (line) => console.log(line),
  })
    .then(
      (r) => {
        for (const row of rowsOf(r)) console.log(`${row.metric}: ${row.values.ours?.toFixed(1)} ${row.unit}`);
        if (r.errorSamples.length) console.log(`errors: ${r.errorSamples.join('; ')}`);
      },
      (e: unknown) => {
        console.error(e);
        process.exitCode = 1;
      },
    )
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
