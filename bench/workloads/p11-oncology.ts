/**
 * P11: the tumor-board summary of one heavy patient — 8 time points × 6 tracked lesions (written
 * through POST /api/ai-results), 200 lab values and 30 medication requests — under 10 concurrent
 * clients (JSON, target p95 ≤ 100 ms), and the printable HTML one request at a time (≤ 200 ms).
 * Ours only. An error is a non-200 answer or a summary without its 8 time points.
 */
import { pathToFileURL } from 'node:url';
import { startTestServer } from '../../test/support/server.js';
import { httpCall, keepAliveAgent } from '../http-client.js';
import { median, percentile } from '../stats.js';
import type { BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

const TIMEPOINTS = 8;
const LESIONS = 6;
const LABS = 200;
const MEDICATIONS = 30;
const ROOT = '1.2.826.0.1.3680043.10.1456.111';
const SCT = 'http://snomed.info/sct';
const LOINC_LABS = ['2039-6', '777-3', '718-7', '2160-0', '1742-6'];
const DRUGS = ['40048', '68446', '72962', '32592', '4492', '6313'];

export interface P11Options {
  clients?: number;
  /** JSON requests per client per run (default 40), HTML requests per run (default 40), runs (default 3). */
  requestsPerClient?: number;
  htmlRequests?: number;
  runs?: number;
  start?: () => Promise<{ url: string; stop(): Promise<void> }>;
  quiet?: (label: string) => Promise<void>;
  log?: (line: string) => void;
}

export interface P11Result {
  clients: number;
  json: { p50: number; p95: number; requests: number };
  html: { p50: number; p95: number; requests: number };
  errors: number;
  errorSamples: string[];
  meanBytes: number;
}

const post = async (url: string, body: unknown, type = 'application/fhir+json') => {
  const r = await httpCall(url, {
    method: 'POST',
    headers: { 'content-type': type },
    body: Buffer.from(JSON.stringify(body)),
    timeoutMs: 60_000,
  });
  if (r.status >= 300)
    throw new Error(`P11 setup: POST ${url} answered ${r.status}: ${r.body.toString().slice(0, 300)}`);
  return JSON.parse(r.body.toString()) as { id?: string; entry?: { response?: { location?: string } }[] };
};

/** The heavy patient, written through the public APIs; its id. */
export async function loadP11Patient(url: string): Promise<string> {
  const fhir = `${url}/fhir`;
  const patient = (
    await post(`${fhir}/Patient`, { resourceType: 'Patient', name: [{ family: 'Bench', given: ['P11'] }] })
  ).id!;
  const subject = { reference: `Patient/${patient}` };
  const day = (d: number) => new Date(Date.UTC(2024, 0, 10) + d * 86_400_000).toISOString();
  const entries: unknown[] = [];
  for (let t = 0; t < TIMEPOINTS; t++)
    entries.push({
      resourceType: 'ImagingStudy',
      status: 'available',
      subject,
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${ROOT}.${t + 1}` }],
      started: day(t * 63),
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }],
    });
  entries.push({
    resourceType: 'Condition',
    subject,
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C18.9' }], text: 'Colon cancer' },
    onsetDateTime: day(-20).slice(0, 10),
  });
  for (let i = 0; i < LABS; i++)
    entries.push({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: LOINC_LABS[i % LOINC_LABS.length] }] },
      subject,
      effectiveDateTime: day(Math.floor(i / LOINC_LABS.length) * 12),
      valueQuantity: { value: 10 + (i % 17), unit: 'U', system: 'http://unitsofmeasure.org', code: 'U' },
    });
  for (let i = 0; i < MEDICATIONS; i++)
    entries.push({
      resourceType: 'MedicationRequest',
      status: i < 25 ? 'completed' : 'active',
      intent: 'order',
      subject,
      medicationCodeableConcept: {
        coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: DRUGS[i % DRUGS.length] }],
      },
      authoredOn: day(i * 16),
    });
  await post(fhir, {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: entries.map((resource) => ({
      resource,
      request: { method: 'POST', url: (resource as { resourceType: string }).resourceType },
    })),
  });
  for (let t = 0; t < TIMEPOINTS; t++)
    await post(
      `${url}/api/ai-results`,
      {
        studyInstanceUid: `${ROOT}.${t + 1}`,
        model: { name: 'P11', version: '1' },
        findings: Array.from({ length: LESIONS }, (_, l) => ({
          code: { system: SCT, code: l === 5 ? '103340004' : '103339001' },
          bodySite: { system: SCT, code: l === 5 ? '59441001' : l < 3 ? '10200004' : '39607008' },
          measurement: { value: Math.round((20 + l * 4) * (1 - 0.04 * t) * 10) / 10, unit: 'mm' },
          trackingId: `L${l + 1}`,
        })),
      },
      'application/json',
    );
  return patient;
}

export async function runP11(opts: P11Options = {}): Promise<P11Result> {
  const log = opts.log ?? (() => undefined);
  const clients = opts.clients ?? 10;
  const perClient = opts.requestsPerClient ?? 40;
  const htmlRequests = opts.htmlRequests ?? 40;
  const runs = opts.runs ?? 3;
  const server = await (opts.start ?? inProcess)();
  const agent = keepAliveAgent(clients);
  try {
    const patient = await loadP11Patient(server.url);
    log(`  P11: patient ${patient} loaded (${TIMEPOINTS} × ${LESIONS} lesions, ${LABS} labs, ${MEDICATIONS} meds)`);
    const url = `${server.url}/api/oncology/summary?patient=${patient}`;
    const errorSamples: string[] = [];
    let errors = 0;
    let bytes = 0;
    let count = 0;
    const one = async (accept: string): Promise<number> => {
      const r = await httpCall(url, { agent, headers: { accept }, timeoutMs: 60_000 });
      bytes += r.bytes;
      count++;
      const bad =
        r.status !== 200
          ? `HTTP ${r.status}`
          : accept === 'application/json' &&
              (JSON.parse(r.body.toString()) as { timepoints: unknown[] }).timepoints.length !== TIMEPOINTS
            ? 'time points missing'
            : undefined;
      if (bad) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(bad);
      }
      return r.totalMs;
    };
    // Untimed warm-up (statement preparation, V8's optimising compilers).
    for (let i = 0; i < 20; i++) await Promise.all([one('application/json'), one('text/html')]);
    const jsonRuns: { p50: number; p95: number; n: number }[] = [];
    const htmlRuns: { p50: number; p95: number; n: number }[] = [];
    for (let run = 0; run < runs; run++) {
      await opts.quiet?.(`P11 run ${run + 1}`);
      const times: number[] = [];
      await Promise.all(
        Array.from({ length: clients }, async () => {
          for (let i = 0; i < perClient; i++) times.push(await one('application/json'));
        }),
      );
      const html: number[] = [];
      for (let i = 0; i < htmlRequests; i++) html.push(await one('text/html'));
      jsonRuns.push({ p50: percentile(times, 50), p95: percentile(times, 95), n: times.length });
      htmlRuns.push({ p50: percentile(html, 50), p95: percentile(html, 95), n: html.length });
      log(
        `  P11 run ${run + 1}: JSON p95 ${jsonRuns.at(-1)!.p95.toFixed(1)} ms (${clients} clients), HTML p95 ${htmlRuns.at(-1)!.p95.toFixed(1)} ms`,
      );
    }
    const fold = (r: typeof jsonRuns) => ({
      p50: median(r.map((x) => x.p50)),
      p95: median(r.map((x) => x.p95)),
      requests: r.reduce((n, x) => n + x.n, 0),
    });
    return {
      clients,
      json: fold(jsonRuns),
      html: fold(htmlRuns),
      errors,
      errorSamples,
      meanBytes: bytes / Math.max(1, count),
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

async function inProcess(): Promise<{ url: string; stop(): Promise<void> }> {
  const s = await startTestServer({ 'log-level': 'warn' });
  return { url: s.url, stop: () => s.stop() };
}

/** P11 as a bench/run.ts workload: our built server (dist/cli/main.js) in the run's scratch folder. */
export async function runP11Workload(ctx: BenchContext): Promise<WorkloadResult> {
  const errors: string[] = [];
  let result: P11Result | undefined;
  const dir = ctx.scratch.dir('ours-p11');
  try {
    result = await runP11({
      runs: ctx.options.runs,
      quiet: (label) => ctx.quiet(label),
      log: ctx.log,
      start: async () => {
        const b = await startTestServer(
          { 'data-dir': dir, 'log-level': 'warn' },
          { spawn: { args: [], startTimeoutMs: 120_000, ...(ctx.bridgeEntry ? { entry: ctx.bridgeEntry } : {}) } },
        );
        return { url: b.url, stop: () => b.stop() };
      },
    });
    if (result.errors) errors.push(`P11: ${result.errors} requests failed (${result.errorSamples.join('; ')})`);
  } catch (err) {
    errors.push(`P11: ${(err as Error).message}`);
  } finally {
    ctx.scratch.remove(dir);
  }
  const values = (v: number | undefined) => (v === undefined ? {} : { ours: v });
  return {
    id: 'P11',
    title: 'Tumor-board summary (8 time points × 6 lesions, 200 labs, 30 medications)',
    rows: [
      { workload: 'P11', metric: 'summary JSON p50', unit: 'ms', better: 'lower', values: values(result?.json.p50) },
      {
        workload: 'P11',
        metric: 'summary JSON p95',
        unit: 'ms',
        better: 'lower',
        values: values(result?.json.p95),
        target: { text: '≤ 100 ms', maxOurs: 100 },
      },
      {
        workload: 'P11',
        metric: 'summary HTML p95',
        unit: 'ms',
        better: 'lower',
        values: values(result?.html.p95),
        target: { text: '≤ 200 ms', maxOurs: 200 },
      },
      {
        workload: 'P11',
        metric: 'errors',
        unit: 'requests',
        better: 'lower',
        values: values(result?.errors),
        target: { text: '0', maxOurs: 0 },
      },
    ],
    notes: result
      ? [
          `${result.clients} concurrent clients, ${result.json.requests} timed JSON requests (GET /api/oncology/summary?patient=…, ~${(result.meanBytes / 1024).toFixed(0)} KB), then ${result.html.requests} HTML requests one at a time, after an untimed warm-up; median over runs of each run's percentile. Ours only.`,
        ]
      : [],
    raw: { result },
    errors,
  };
}

/** `node --import tsx bench/workloads/p11-oncology.ts [requestsPerClient] [runs]`: P11 alone (in process), JSON out. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 40);
  runP11({
    requestsPerClient: n,
    htmlRequests: n,
    runs: Number(process.argv[3] ?? 3),
    log: (l) => console.log(l),
  }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
