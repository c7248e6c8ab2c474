/**
 * P9: embedded FHIR search at 100k resources — Patient by identifier, Observation by
 * patient + code + date, ImagingStudy by patient — p50/p95 over HTTP against our server.
 * Orthanc has no FHIR server: ours only, target p95 ≤ 30 ms.
 *
 * The data goes straight into the SQLite repository (batched transactions, index values
 * extracted as on any write) in a data folder, then a server is started on that folder; with
 * `--backend postgres`, into a fresh PostgreSQL database through PgFhirRepository (schema `fhir`,
 * as `serve --database` opens it), then the server is started with --database on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { SearchParamRegistry } from '../../src/fhir/definitions/search-params.js';
import type { SqliteFhirRepository } from '../../src/fhir/sqlite/sqlite-repository.js';
import type { FhirResource } from '../../src/fhir/types.js';
import { spawnManaged, waitForHttpOk } from '../../test/support/process.js';
import { freePort } from '../../test/support/ports.js';
import { REPO_ROOT } from '../../test/support/server.js';
import { httpCall, keepAliveAgent } from '../http-client.js';
import { Rng } from '../../src/demo/prng.js';
import { distRootOf } from '../scale-index.js';
import type { BenchContext } from './context.js';
import { medianOfRuns, timeQueries, type TimedCall } from './query-timing.js';
import type { WorkloadResult } from './types.js';

export const P9_QUERIES = [
  'patient-by-identifier',
  'observation-by-patient-code-date',
  'imagingstudy-by-patient',
] as const;
export type P9Query = (typeof P9_QUERIES)[number];

export interface P9Options {
  /** Total resources (default 100,000): a 40th are Patients, each with 32 Observations, 4 ImagingStudies and 3 Encounters. */
  resources?: number;
  seed?: number;
  /** A data folder to fill, or reuse when it already holds the same number of resources (the fill takes a while). Default: a temp folder, removed at the end. */
  dataDir?: string;
  /** Timed queries per kind per run (default 200) and runs (default 3); the figures are medians over runs. */
  iterations?: number;
  runs?: number;
  warmupPerKind?: number;
  /**
   * The dist/ folder whose FHIR repository fills the data (bench/run.ts passes the one beside the
   * server's entry script, so schema and index extraction match the server under test); default:
   * the current sources through tsx.
   */
  distRoot?: string;
  /** A fresh PostgreSQL database (postgres:// URL) to fill through PgFhirRepository instead of <dataDir>/fhir.sqlite; `start` must start the server on it. */
  database?: string;
  /** Starts our server on the data folder; default: the current sources through tsx (bench/run.ts passes its dist/ factory). */
  start?: (dataDir: string) => Promise<{ url: string; stop(): Promise<void> }>;
  log?: (line: string) => void;
}

export interface P9Result {
  resources: number;
  /** Time to fill the repository (0 when a filled folder was reused). */
  fillMs: number;
  queries: Record<P9Query, { p50: number; p95: number; samples: number; meanResults: number }>;
}

export const PER_PATIENT = { observations: 32, studies: 4, encounters: 3 };
const LOINC = 'http://loinc.org';
const CODES = ['2339-0', '777-3', '6301-6', '8480-6', '8462-4', '718-7', '2160-0', '2039-6'];
const MRN = 'http://hospital.example/fhir/sid/mrn';
const START = Date.parse('2023-01-01T00:00:00Z');
const DAY = 86_400_000;
/** Observation dates span two years from START; the query asks for the second year. */
const SINCE = '2024-01-01';

export async function runP9(opts: P9Options = {}): Promise<P9Result> {
  const log = opts.log ?? (() => undefined);
  const total = opts.resources ?? 100_000;
  const patients = Math.max(
    1,
    Math.floor(total / (1 + PER_PATIENT.observations + PER_PATIENT.studies + PER_PATIENT.encounters)),
  );
  const seed = opts.seed ?? 9;
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ib-p9-'));
  try {
    const fillMs =
      opts.database === undefined
        ? await fill(dataDir, patients, seed, log, await repositoryModules(opts.distRoot))
        : await fillPostgres(opts.database, patients, seed, log, opts.distRoot);
    const server = await (opts.start ?? defaultStart)(dataDir);
    const agent = keepAliveAgent(1);
    try {
      const pick = Rng.stream(seed, 'queries');
      const call = async (kind: P9Query): Promise<TimedCall> => {
        const url = `${server.url}/fhir/${queryPath(kind, pick.int(0, patients - 1))}`;
        const r = await httpCall(url, { agent, headers: { accept: 'application/fhir+json' }, timeoutMs: 30_000 });
        if (r.status !== 200) throw new Error(`P9 ${kind}: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
        const bundle = JSON.parse(r.body.toString()) as { entry?: unknown[] };
        return { ms: r.totalMs, count: bundle.entry?.length ?? 0 };
      };
      const timings = await timeQueries({
        kinds: P9_QUERIES,
        call,
        agent,
        runs: opts.runs ?? 3,
        iterations: opts.iterations ?? 200,
        warmupPerKind: opts.warmupPerKind ?? 20,
        budgetMs: 10 * 60_000,
      });
      const queries = Object.fromEntries(
        P9_QUERIES.map((k) => {
          const counts = timings.counts[k];
          const figures = {
            p50: medianOfRuns(timings, k, 50),
            p95: medianOfRuns(timings, k, 95),
            samples: timings.runs.reduce((n, r) => n + r[k].length, 0),
            meanResults: counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length),
          };
          log(
            `  P9 ${k}: p50 ${figures.p50.toFixed(1)} ms, p95 ${figures.p95.toFixed(1)} ms (${figures.meanResults.toFixed(1)} results on average)`,
          );
          return [k, figures];
        }),
      ) as P9Result['queries'];
      return {
        resources: patients * (1 + PER_PATIENT.observations + PER_PATIENT.studies + PER_PATIENT.encounters),
        fillMs,
        queries,
      };
    } finally {
      agent.destroy();
      await server.stop();
    }
  } finally {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

export function queryPath(kind: P9Query, k: number): string {
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString().replace(/\+/g, '%20');
  switch (kind) {
    case 'patient-by-identifier':
      return `Patient?${q({ identifier: `${MRN}|P9-${k}` })}`;
    case 'observation-by-patient-code-date':
      return `Observation?${q({ patient: `Patient/p9-pat-${k}`, code: `${LOINC}|${CODES[k % CODES.length]}`, date: `ge${SINCE}` })}`;
    case 'imagingstudy-by-patient':
      return `ImagingStudy?${q({ patient: `Patient/p9-pat-${k}` })}`;
  }
}

interface RepositoryModules {
  SqliteFhirRepository: typeof SqliteFhirRepository;
  SearchParamRegistry: typeof SearchParamRegistry;
}

/** The FHIR repository classes of a build (dist/), or of the current sources. */
async function repositoryModules(distRoot?: string): Promise<RepositoryModules> {
  const at = (rel: string): string =>
    distRoot ? pathToFileURL(join(distRoot, `${rel}.js`)).href : `../../src/${rel}.js`;
  const { SqliteFhirRepository } = (await import(at('fhir/sqlite/sqlite-repository'))) as Pick<
    RepositoryModules,
    'SqliteFhirRepository'
  >;
  const { SearchParamRegistry } = (await import(at('fhir/definitions/search-params'))) as Pick<
    RepositoryModules,
    'SearchParamRegistry'
  >;
  return { SqliteFhirRepository, SearchParamRegistry };
}

/** The part of a repository the fill writes through (the SQLite and PostgreSQL ones alike). */
interface FillTarget {
  transaction<T>(work: (tx: { create(r: FhirResource, o: { keepId: true }): unknown }) => Promise<T>): Promise<T>;
}

/** Writes every patient's resources, 25 patients (1,000 resources) per transaction; `progress` every 20. */
async function fillPatients(
  repo: FillTarget,
  patients: number,
  seed: number,
  progress: (resources: number) => void,
): Promise<void> {
  const perPatient = 1 + PER_PATIENT.observations + PER_PATIENT.studies + PER_PATIENT.encounters;
  const batch = 25;
  for (let first = 0; first < patients; first += batch) {
    await repo.transaction(async (tx) => {
      for (let k = first; k < Math.min(patients, first + batch); k++)
        for (const r of patientResources(k, Rng.stream(seed, 'patient', k))) await tx.create(r, { keepId: true });
    });
    if ((first / batch) % 20 === 0) progress(Math.min(patients, first + batch) * perPatient);
  }
}

/** Fills `<dataDir>/fhir.sqlite` unless it already holds exactly this dataset; returns the time taken. */
async function fill(
  dataDir: string,
  patients: number,
  seed: number,
  log: (line: string) => void,
  { SqliteFhirRepository, SearchParamRegistry }: RepositoryModules,
): Promise<number> {
  const expected = patients * (1 + PER_PATIENT.observations + PER_PATIENT.studies + PER_PATIENT.encounters);
  const repo = new SqliteFhirRepository(join(dataDir, 'fhir.sqlite'), {
    registry: new SearchParamRegistry(),
    baseUrl: 'http://127.0.0.1/fhir',
  });
  try {
    const have = (repo.db.prepare('SELECT count(*) AS n FROM resources').get() as { n: number }).n;
    if (have === expected) {
      log(`  P9: reusing ${have} resources in ${dataDir}`);
      return 0;
    }
    if (have !== 0)
      throw new Error(
        `P9: ${dataDir} holds ${have} FHIR resources, not the ${expected} of this dataset; use an empty folder`,
      );
    const started = performance.now();
    await fillPatients(repo, patients, seed, (done) => log(`  P9 fill: ${done} / ${expected}`));
    return performance.now() - started;
  } finally {
    repo.close();
  }
}

/** Fills the `fhir` schema of a fresh database through the build's PgFhirRepository, 1,000 resources per transaction. */
export async function fillPostgres(
  database: string,
  patients: number,
  seed: number,
  log: (line: string) => void,
  distRoot?: string,
  settle = true,
): Promise<number> {
  const at = (rel: string): string =>
    distRoot ? pathToFileURL(join(distRoot, `${rel}.js`)).href : `../../src/${rel}.js`;
  const { PgFhirRepository } = (await import(at('fhir/postgres/pg-repository'))) as {
    PgFhirRepository: typeof import('../../src/fhir/postgres/pg-repository.js').PgFhirRepository;
  };
  const { SearchParamRegistry } = (await import(at('fhir/definitions/search-params'))) as Pick<
    RepositoryModules,
    'SearchParamRegistry'
  >;
  const perPatient = 1 + PER_PATIENT.observations + PER_PATIENT.studies + PER_PATIENT.encounters;
  const repo = await PgFhirRepository.open(database, {
    registry: new SearchParamRegistry(),
    baseUrl: 'http://127.0.0.1/fhir',
  });
  try {
    const started = performance.now();
    await fillPatients(repo, patients, seed, (done) => log(`  P9 fill (PostgreSQL): ${done}`));
    const ms = performance.now() - started;
    log(
      `  P9 fill (PostgreSQL): ${patients * perPatient} resources in ${(ms / 1000).toFixed(0)} s (${((ms / (patients * perPatient)) * 10).toFixed(1)} s per 10k)`,
    );
    // As after any bulk import (and as the SCALE loader does): statistics for the planner and a
    // visibility map, instead of plans made without statistics and autovacuum catching up on
    // the just-filled tables while the queries are timed. Not counted in the fill time.
    if (!settle) return ms;
    const settled = performance.now();
    const admin = new pg.Client({ connectionString: database });
    await admin.connect();
    try {
      await admin.query('VACUUM (ANALYZE)');
    } finally {
      await admin.end();
    }
    log(`  P9 fill (PostgreSQL): VACUUM (ANALYZE) in ${((performance.now() - settled) / 1000).toFixed(1)} s`);
    return ms;
  } finally {
    await repo.close();
  }
}

function patientResources(k: number, rng: Rng): FhirResource[] {
  const subject = { reference: `Patient/p9-pat-${k}` };
  const day = (d: number) => new Date(START + d * DAY + rng.int(0, 86_399) * 1000).toISOString();
  const out: FhirResource[] = [
    {
      resourceType: 'Patient',
      id: `p9-pat-${k}`,
      identifier: [{ system: MRN, value: `P9-${k}` }],
      name: [{ family: `Family${k % 997}`, given: [`Given${k % 89}`] }],
      gender: k % 2 ? 'male' : 'female',
      birthDate: new Date(Date.parse('1940-01-01') + rng.int(0, 60 * 365) * DAY).toISOString().slice(0, 10),
    },
  ];
  for (let e = 0; e < PER_PATIENT.encounters; e++) {
    out.push({
      resourceType: 'Encounter',
      id: `p9-enc-${k}-${e}`,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: e ? 'AMB' : 'EMER' },
      subject,
      period: { start: day(e * 200 + rng.int(0, 100)) },
    });
  }
  for (let o = 0; o < PER_PATIENT.observations; o++) {
    const code = CODES[o % CODES.length];
    out.push({
      resourceType: 'Observation',
      id: `p9-obs-${k}-${o}`,
      status: 'final',
      code: { coding: [{ system: LOINC, code }] },
      subject,
      encounter: { reference: `Encounter/p9-enc-${k}-${o % PER_PATIENT.encounters}` },
      effectiveDateTime: day(Math.floor(o / CODES.length) * 180 + rng.int(0, 170)),
      valueQuantity: { value: rng.int(10, 400), unit: '1', system: 'http://unitsofmeasure.org', code: '1' },
    });
  }
  for (let s = 0; s < PER_PATIENT.studies; s++) {
    out.push({
      resourceType: 'ImagingStudy',
      id: `p9-img-${k}-${s}`,
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:1.2.826.0.1.3680043.10.1456.9.9.${k}.${s}` }],
      status: 'available',
      subject,
      started: day(s * 150 + rng.int(0, 140)),
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: s % 2 ? 'MR' : 'CT' }],
      numberOfSeries: 1,
      numberOfInstances: 1,
    });
  }
  return out;
}

async function defaultStart(dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--auth',
    'none',
    '--http-port',
    String(port),
    '--dicom-port',
    '0',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
  ];
  const proc = spawnManaged(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, TCP_NODELAY: '1' },
    name: 'ImagingBridge (P9)',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttpOk(`${url}/health`, proc, 120_000, 'ImagingBridge (P9)');
  return { url, stop: () => proc.stop() };
}

/** P9 as a bench/run.ts workload: our server from the run's factory (dist/cli/main.js, its node args), data in the run's scratch folder. */
export async function runP9Workload(ctx: BenchContext): Promise<WorkloadResult> {
  const resources = ctx.options.p9Resources;
  const ours = ctx.factories.find((f) => f.side === 'ours');
  const errors: string[] = [];
  let result: P9Result | undefined;
  const dir = ctx.scratch.dir('ours-p9');
  const postgres = ours?.freshDatabase !== undefined;
  try {
    const database = ours?.freshDatabase ? await ours.freshDatabase() : undefined;
    result = await runP9({
      resources,
      database,
      dataDir: dir,
      seed: ctx.options.seed,
      runs: ctx.options.runs,
      iterations: ctx.options.queryIterations,
      log: ctx.log,
      distRoot: ctx.bridgeEntry ? distRootOf(ctx.bridgeEntry) : undefined,
      start: ours
        ? async (d) => {
            const s = await ours.start(d, { database });
            return { url: s.dicomWebUrl.replace(/\/dicomweb$/, ''), stop: () => s.stop() };
          }
        : undefined,
    });
  } catch (err) {
    errors.push(`P9: ${(err as Error).message}`);
  } finally {
    ctx.scratch.remove(dir);
  }
  const rows = P9_QUERIES.flatMap((k) => [
    {
      workload: 'P9',
      metric: `${k} p50`,
      unit: 'ms',
      better: 'lower' as const,
      values: result ? { ours: result.queries[k].p50 } : {},
    },
    {
      workload: 'P9',
      metric: `${k} p95`,
      unit: 'ms',
      better: 'lower' as const,
      values: result ? { ours: result.queries[k].p95 } : {},
      target: { text: '≤ 30 ms', maxOurs: 30 },
    },
  ]);
  const notes = result
    ? [
        `${result.resources} resources (Patients with 32 Observations, 4 ImagingStudies and 3 Encounters each) written straight into the ${postgres ? 'PostgreSQL repository (PgFhirRepository, schema fhir)' : 'SQLite repository'} in ${(result.fillMs / 1000).toFixed(0)} s; queries over HTTP, one keep-alive connection, random patients; median over runs of each run's percentile. Orthanc has no FHIR server.`,
      ]
    : [];
  return {
    id: 'P9',
    title: `Embedded FHIR search at ${(resources ?? 100_000).toLocaleString('en')} resources`,
    rows,
    notes,
    raw: { result },
    errors,
  };
}

/** `node --import tsx bench/workloads/p9-fhir-search.ts [resources]`: P9 alone, figures printed as JSON. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const resources = Number(process.argv[2] ?? 100_000);
  runP9({ resources, log: (line) => console.log(line) }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
