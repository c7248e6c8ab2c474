/**
 * ImagingBridge vs Orthanc benchmark (see PROTOCOL: same machine, same data, same run).
 *   npm run build && npm run bench -- [--only P2,P4,P5,P6] [--runs N] [--skip-orthanc | --skip-ours]
 *   npm run bench -- --memory      (≥ 1 GB STOW + retrieve into a bridge with a 256 MB heap)
 *   npm run bench -- --scale       (adds SCALE: QIDO on 1M instances loaded into the index directly)
 * Results: bench/results/latest.{json,md} (memory mode: memory-latest.*, SCALE alone: scale-latest.*).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { orthancAvailable } from '../test/support/orthanc.js';
import { killAllManaged } from '../test/support/process.js';
import { bridgeBuilt, BRIDGE_ENTRY, REPO_ROOT } from '../test/support/server.js';
import { DEFAULT_SEED } from './datasets.js';
import { DEFAULT_CACHE_DIR } from './generate.js';
import { keepAliveAgent } from './http-client.js';
import { buildInfo, consoleTable, machineInfo, writeReport, type Report } from './report.js';
import { cpuSnapshot, foreignShare, QUIET_DEFAULTS, waitForQuiet, type QuietResult } from './quiet.js';
import { bridgeFactory, orthancFactory, type ServerFactory } from './servers.js';
import { runAssessWorkload } from './workloads/assessment.js';
import { runCeiling } from './workloads/ceiling.js';
import { DataSets, Scratch, type BenchContext, type BenchOptions } from './workloads/context.js';
import { MEMORY_DEFAULTS, MEMORY_NODE_ARGS, runMemory } from './workloads/memory.js';
import { runP1, runP3 } from './workloads/p1-p3-cstore.js';
import { runP2 } from './workloads/p2-stow.js';
import { runP4 } from './workloads/p4-qido.js';
import { runP5 } from './workloads/p5-metadata.js';
import { runP6 } from './workloads/p6-retrieve.js';
import { runP7Workload } from './workloads/p7-bridge-latency.js';
import { runP8Workload } from './workloads/p8-context.js';
import { runP11Workload } from './workloads/p11-oncology.js';
import { runP9Workload } from './workloads/p9-fhir-search.js';
import { runP10Workload } from './workloads/p10-stroke.js';
import { runP12Workload } from './workloads/p12-worklist.js';
import { runP13 } from './workloads/p13-rendered.js';
import { runP13cWorkload } from './workloads/p13c-thumbnails-during-stow.js';
import { runP14Workload } from './workloads/p14-patient-view.js';
import { runScale } from './workloads/scale.js';
import { runScaleOut } from './workloads/scaleout.js';
import { postgresBackend } from './backend-postgres.js';
import { storescuAvailable } from './storescu.js';
import type { WorkloadResult } from './workloads/types.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');
const WORKLOADS: Record<string, (ctx: BenchContext) => Promise<WorkloadResult>> = {
  CEIL: runCeiling,
  P1: runP1,
  P2: runP2,
  P3: runP3,
  P4: runP4,
  P5: runP5,
  P6: runP6,
  P7: runP7Workload,
  P8: runP8Workload,
  P9: runP9Workload,
  P10: runP10Workload,
  P11: runP11Workload,
  P12: runP12Workload,
  P13: runP13,
  P13c: runP13cWorkload,
  P14: runP14Workload,
  ASSESS: (ctx) => runAssessWorkload(ctx),
};
/**
 * Not in the default run: SCALE (loading 1M instances into the index takes minutes the first
 * time), SCALEOUT (several serve processes on one database: --backend postgres only).
 */
const OPTIONAL = ['SCALE', 'SCALEOUT'];
/** Ours only: Orthanc has no FHIR side to compare with. */
const OURS_ONLY = ['P7', 'P8', 'P9', 'P10', 'P11', 'P12', 'P13c', 'P14', 'SCALE', 'SCALEOUT', 'ASSESS'];
/** Need DCMTK's storescu (apt-get install -y dcmtk). */
const DIMSE = ['P1', 'P3', 'SCALEOUT'];
/** Run only with --backend postgres (and its blobs on s3rver): they start processes that share a database. */
const POSTGRES_ONLY = ['SCALEOUT'];

const USAGE = `usage: npm run bench -- [options]
  --only CEIL,P1,...   workloads to run (default: CEIL,P1,P2,P3,P4,P5,P6,P7,P8,P9,P10,P11,P12,P13,P13c,P14,
                       ASSESS; SCALE and SCALEOUT only when named). P1/P3/SCALEOUT need DCMTK's storescu (P10
                       its C-STORE round); P7–P12, P13c, P14, SCALE, SCALEOUT, ASSESS are ours only (P14 drives
                       /usr/bin/chromium); SCALEOUT (1 then 2 serve processes on one database and bucket)
                       needs --backend postgres
  --runs N             runs per workload, medians reported (default 3)
  --skip-orthanc       only our server        --skip-ours   only Orthanc
  --queries N          QIDO iterations per query kind per run (default 50)
  --batch N            instances per STOW request when loading SMALL10K (default 50)
  --memory             memory mode only (≥ 1 GB STOW + retrieve, bridge with ${MEMORY_NODE_ARGS.join(' ')})
  --memory-instances N instances of 512 KB in memory mode (default ${MEMORY_DEFAULTS.instances})
  --scale              add SCALE (ours alone): QIDO + metadata on 100k studies / 1M instances,
                       loaded once straight into the index (cached in bench/.cache/SCALE-…)
  --scale-studies N    studies in SCALE (default 100000, 10 instances each)
  --no-quiet           do not wait for other processes to leave the CPUs alone before
                       each measurement (default: wait up to 5 min for < 10% foreign CPU)
  --cpu-prof DIR       run our server with --cpu-prof, profiles into DIR
                       (summarise: node --import tsx bench/cpu-profile.ts DIR)
  --cache DIR          data set cache (default bench/.cache)
  --seed N             generator seed (default ${DEFAULT_SEED})
  --bridge-entry PATH  run this entry script instead of dist/cli/main.js
  --out NAME           write bench/results/NAME.{json,md} (default: latest, memory-latest, scale-latest)
  --encrypted          also run each named workload on our server encrypted at rest (a key file in the
                       scratch folder) as <id>e (P1e, P2e, P6e, …) and note the cost against the plain
                       run of the same workload in the same run (e.g. --only P1,P2,P6 --encrypted)
  --p9-resources N     FHIR resources in P9 (default 100000)
  --backend postgres   our server with --database on PostgreSQL (PG_TEST_URL, else a throwaway cluster
                       with fsync off) and --blob-store on S3-compatible storage (s3rver in this process),
                       a fresh database and bucket prefix per server start; P9 and SCALE fill that
                       database through the PostgreSQL stores; results: postgres-latest.* (with SCALE
                       alone: postgres-scale-latest.*)
  --pg-blobs local     with --backend postgres: blobs in the data folder instead of s3rver`;

/** Our server with --encryption-key-file (a fresh key in the scratch folder, outside every data folder). */
function encryptedBridge(scratch: Scratch, opts: { entry: string; nodeArgs: string[] }): ServerFactory {
  const keyFile = join(scratch.dir('encryption-key'), 'data.key');
  writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const inner = bridgeFactory({ ...opts, extraArgs: ['--encryption-key-file', keyFile] });
  return {
    ...inner,
    label: 'ImagingBridge (encrypted at rest)',
    describe: () => ({ ...inner.describe(), encryption: 'AES-256-GCM chunked objects, SQLCipher databases' }),
  };
}

/** The encrypted run of a workload as `<id>e`, with its cost against the plain run noted. */
function encryptedVariant(plain: WorkloadResult, enc: WorkloadResult): WorkloadResult {
  const id = `${plain.id}e`;
  const costs = enc.rows.flatMap((row) => {
    const before = plain.rows.find((r) => r.metric === row.metric)?.values.ours;
    const after = row.values.ours;
    if (before === undefined || after === undefined || before === 0 || after === 0) return [];
    // Cost as extra time (or lost throughput): > 0 is slower encrypted.
    const cost = row.better === 'lower' ? after / before - 1 : before / after - 1;
    return [
      `${row.metric} ${fmt(before)} → ${fmt(after)} ${row.unit} (${cost >= 0 ? '+' : ''}${(cost * 100).toFixed(1)} %)`,
    ];
  });
  return {
    ...enc,
    id,
    title: `${enc.title}, encrypted at rest`,
    rows: enc.rows.map((r) => ({ ...r, workload: id, target: undefined })),
    notes: [`Encryption cost against ${plain.id} of this run (target ≤ 30 %): ${costs.join('; ')}.`, ...enc.notes],
  };
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2));

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      runs: { type: 'string' },
      'skip-orthanc': { type: 'boolean', default: false },
      'skip-ours': { type: 'boolean', default: false },
      queries: { type: 'string' },
      batch: { type: 'string' },
      memory: { type: 'boolean', default: false },
      'memory-instances': { type: 'string' },
      scale: { type: 'boolean', default: false },
      'scale-studies': { type: 'string' },
      'p9-resources': { type: 'string' },
      'pg-blobs': { type: 'string', default: 's3' },
      'cpu-prof': { type: 'string' },
      'no-quiet': { type: 'boolean', default: false },
      cache: { type: 'string' },
      seed: { type: 'string' },
      'bridge-entry': { type: 'string' },
      out: { type: 'string' },
      encrypted: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'sqlite' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const wantOurs = values.memory || !values['skip-ours'];
  const wantOrthanc = !values.memory && !values['skip-orthanc'];
  if (!wantOurs && !wantOrthanc) throw new Error('--skip-ours and --skip-orthanc together leave nothing to run');
  const entry = values['bridge-entry'] === undefined ? BRIDGE_ENTRY : resolve(values['bridge-entry']);
  if (wantOurs && !bridgeBuilt(entry)) {
    console.error(`${relative(process.cwd(), entry)} not found: run \`npm run build\` first (or pass --skip-ours).`);
    return 2;
  }
  if (wantOrthanc && !orthancAvailable()) {
    console.error('Orthanc is not installed (apt-get install -y orthanc orthanc-dicomweb), or pass --skip-orthanc.');
    return 2;
  }
  // Names are case-insensitive (P13c, p13C): each maps to its canonical spelling.
  const canonical = new Map([...Object.keys(WORKLOADS), ...OPTIONAL].map((k) => [k.toUpperCase(), k]));
  const only = (values.only ?? Object.keys(WORKLOADS).join(','))
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean)
    .map((s) => canonical.get(s) ?? s);
  if (values.scale && !only.includes('SCALE')) only.push('SCALE');
  const unknown = only.filter((id) => !(id in WORKLOADS) && !OPTIONAL.includes(id));
  if (unknown.length)
    throw new Error(
      `unknown workload(s) ${unknown.join(', ')}; known: ${[...Object.keys(WORKLOADS), ...OPTIONAL].join(', ')}`,
    );
  const oursOnly = only.filter((id) => OURS_ONLY.includes(id));
  if (oursOnly.length && values['skip-ours'])
    throw new Error(`${oursOnly.join(', ')} run on our server only: drop --skip-ours`);
  const needPostgres = only.filter((id) => POSTGRES_ONLY.includes(id));
  if (needPostgres.length && (values.backend !== 'postgres' || values['pg-blobs'] !== 's3'))
    throw new Error(
      `${needPostgres.join(', ')} run with --backend postgres (blobs on s3rver: not --pg-blobs local) only`,
    );
  if (!values.memory && only.some((id) => DIMSE.includes(id)) && !storescuAvailable()) {
    console.error("P1/P3/SCALEOUT need DCMTK's storescu (apt-get install -y dcmtk); leave them out with --only.");
    return 2;
  }

  const options: BenchOptions = {
    runs: positiveInt(values.runs, 3, 'runs'),
    seed: values.seed === undefined ? DEFAULT_SEED : Number(values.seed),
    cacheDir: values.cache ?? DEFAULT_CACHE_DIR,
    queryIterations: positiveInt(values.queries, 50, 'queries'),
    batchSize: positiveInt(values.batch, 50, 'batch'),
    ...(values['p9-resources'] === undefined
      ? {}
      : { p9Resources: positiveInt(values['p9-resources'], 100_000, 'p9-resources') }),
  };
  const log = (line: string): void => console.log(line);
  const build = buildInfo(REPO_ROOT, entry);
  const scratch = new Scratch(tmpdir());
  const onSignal = (): void => {
    killAllManaged();
    scratch.cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const factories: ServerFactory[] = [];
  const cpuProf =
    values['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`];
  if (values['cpu-prof'] !== undefined) mkdirSync(resolve(values['cpu-prof']), { recursive: true });
  const bridge = bridgeFactory({ entry, nodeArgs: [...(values.memory ? MEMORY_NODE_ARGS : []), ...cpuProf] });
  if (values.backend !== 'sqlite' && values.backend !== 'postgres')
    throw new Error(`--backend must be sqlite or postgres, got ${values.backend}`);
  if (values.backend === 'postgres' && (values.memory || values.encrypted || !wantOurs))
    throw new Error(
      '--backend postgres runs our server on the named workloads: drop --memory, --encrypted, --skip-ours',
    );
  if (values['pg-blobs'] !== 's3' && values['pg-blobs'] !== 'local')
    throw new Error(`--pg-blobs must be s3 or local, got ${values['pg-blobs']}`);
  const pgBackend =
    values.backend === 'postgres'
      ? postgresBackend({ entry, nodeArgs: cpuProf, blobs: values['pg-blobs'] })
      : undefined;
  if (wantOurs) factories.push(pgBackend?.factory ?? bridge);
  if (values.encrypted && !wantOurs) throw new Error('--encrypted runs our server: drop --skip-ours');
  const encrypted = values.encrypted ? encryptedBridge(scratch, { entry, nodeArgs: cpuProf }) : undefined;
  if (wantOrthanc) factories.push(orthancFactory());
  const agent = keepAliveAgent();
  const waits: (QuietResult & { label: string })[] = [];
  const quiet = async (label: string): Promise<void> => {
    if (values['no-quiet']) return;
    waits.push({ label, ...(await waitForQuiet(QUIET_DEFAULTS, log, label)) });
  };
  const ctx: BenchContext = {
    options,
    factories,
    agent,
    log,
    quiet,
    data: new DataSets(options, log),
    scratch,
    bridgeEntry: entry,
  };
  /** Foreign CPU during one workload, and the quiet-gate waits it had, as a note. */
  const measured = async (id: string, run: () => Promise<WorkloadResult>): Promise<WorkloadResult> => {
    await quiet(id);
    const firstWait = waits.length;
    const before = cpuSnapshot();
    const result = await run();
    const after = cpuSnapshot();
    if (before && after) {
      const share = foreignShare(before, after);
      const gated = waits.slice(firstWait);
      const waited = gated.reduce((s, w) => s + w.waitedMs, 0);
      const loud = gated.filter((w) => !w.quiet).map((w) => w.label);
      result.notes.push(
        `Machine: processes outside this benchmark (other sessions' builds and tests, kernel writeback) used ${(share * 100).toFixed(1)}% of the CPUs during ${id}` +
          (values['no-quiet']
            ? ' (no quiet gate).'
            : `; ${gated.length + 1} quiet gates waited ${(waited / 1000).toFixed(0)} s in all${loud.length ? `; still busy at ${loud.join(', ')}` : ''}.`),
      );
      (result.raw as Record<string, unknown>).foreignCpuShare = share;
    }
    return result;
  };

  const results: WorkloadResult[] = [];
  let exitCode = 0;
  try {
    if (values.memory) {
      const memory = (await measured('MEM', () =>
        runMemory(ctx, bridge, {
          ...MEMORY_DEFAULTS,
          instances: positiveInt(values['memory-instances'], MEMORY_DEFAULTS.instances, 'memory-instances'),
        }),
      )) as Awaited<ReturnType<typeof runMemory>>;
      results.push(memory);
      if (!memory.passed) exitCode = 1;
    } else {
      for (const id of only) {
        log(`${id} …`);
        if (id === 'SCALE') {
          const studies =
            values['scale-studies'] === undefined
              ? undefined
              : positiveInt(values['scale-studies'], 0, 'scale-studies');
          const ours = pgBackend?.factory ?? bridge;
          results.push(await measured(id, () => runScale(ctx, ours, { studies, bridgeEntry: entry })));
        } else if (id === 'SCALEOUT') {
          results.push(await measured(id, () => runScaleOut(ctx)));
        } else {
          results.push(await measured(id, () => WORKLOADS[id]!(ctx)));
          if (encrypted && id in WORKLOADS) {
            log(`${id}e (encrypted at rest) …`);
            const plain = results.at(-1)!;
            results.push(
              encryptedVariant(
                plain,
                await measured(`${id}e`, () => WORKLOADS[id]!({ ...ctx, factories: [encrypted] })),
              ),
            );
          }
        }
      }
    }
  } finally {
    agent.destroy();
    scratch.cleanup();
    await pgBackend?.stop();
  }

  const report: Report = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    build,
    options: { ...options, workloads: values.memory ? ['MEM'] : only, sides: factories.map((f) => f.side) },
    configurations: Object.fromEntries(
      [...factories, ...(encrypted ? [encrypted] : [])].map((f) => [f.label, f.describe()]),
    ),
    results,
  };
  const distNow = buildInfo(REPO_ROOT, entry).distBuiltAt;
  if (wantOurs && distNow !== build.distBuiltAt) {
    build.distRebuiltDuringRun = distNow;
    console.log(
      `WARNING: ${relative(process.cwd(), entry)} was rebuilt during the run (${build.distBuiltAt} → ${distNow}): later workloads ran newer code.`,
    );
  }
  console.log(`\n${consoleTable(results)}\n`);
  for (const r of results) {
    for (const note of r.notes) console.log(`${r.id}: ${note}`);
    for (const error of r.errors) console.log(`${r.id} ERROR: ${error}`);
    if (r.errors.length) exitCode = 1;
  }
  if (values.out !== undefined && !/^[\w.-]+$/.test(values.out))
    throw new Error(`--out must be a plain file name, got ${values.out}`);
  const base =
    values.out ??
    (values.memory
      ? 'memory-latest'
      : pgBackend
        ? only.length === 1 && only[0] === 'SCALE'
          ? 'postgres-scale-latest'
          : 'postgres-latest'
        : only.length === 1 && only[0] === 'SCALE'
          ? 'scale-latest'
          : 'latest');
  const written = writeReport(report, RESULTS_DIR, base);
  if (cpuProf.length)
    console.log(
      `CPU profiles of our server in ${values['cpu-prof']} (node --import tsx bench/cpu-profile.ts ${values['cpu-prof']})`,
    );
  console.log(`\nwrote ${written.map((p) => relative(process.cwd(), p)).join(', ')}`);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
