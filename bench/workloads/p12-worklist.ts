/**
 * P12: the radiology worklist under load. Our server (no demo) is seeded with `studies` unread
 * studies (default 2,400: three days of a mid-sized department) with full context — an order with
 * a priority, an encounter (ED, inpatient, outpatient), flags, triage — written as FHIR
 * transactions; the worklist indexes them from the write events. Then, for `seconds`, 20 clients
 * read GET /api/worklist?limit=100 back to back while every second a new study and an AI result
 * (POST /api/ai-results, a category-1 finding) arrive; an event-stream reader times each AI
 * result's 201 to its study's event on /api/worklist/events. Ours only (Orthanc has no worklist).
 * Targets: list p95 ≤ 50 ms, AI result → event p99 ≤ 2 s.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { startTestServer } from '../../test/support/server.js';
import { httpCall, keepAliveAgent } from '../http-client.js';
import { Rng } from '../../src/demo/prng.js';
import { percentile } from '../stats.js';
import type { BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

const ROOT = '1.2.826.0.1.3680043.10.1456.12';
const SNOMED = 'http://snomed.info/sct';
const PRIORITIES = ['routine', 'routine', 'routine', 'urgent', 'asap', 'stat'];
const SETTINGS = [
  ['EMER', 'in-progress'],
  ['IMP', 'in-progress'],
  ['AMB', 'in-progress'],
  ['AMB', 'finished'],
] as const;
const SITES = [
  { system: SNOMED, code: '69536005', display: 'Head' },
  { system: SNOMED, code: '51185008', display: 'Thorax' },
  { system: SNOMED, code: '818983003', display: 'Abdomen' },
];

export interface P12Options {
  studies?: number;
  clients?: number;
  seconds?: number;
  seed?: number;
  /** The server; with its `pid` (on Linux) its CPU during the load is reported. */
  start?: () => Promise<{ url: string; pid?: number; stop(): Promise<void> }>;
  log?: (line: string) => void;
}

export interface P12Result {
  studies: number;
  clients: number;
  requests: number;
  listP50: number;
  listP95: number;
  aiResults: number;
  eventP50: number;
  eventP99: number;
  missedEvents: number;
  errors: number;
  /** Of the errors, answers with a 5xx status (e.g. a 503 of the write lock): counted apart, they must be 0. */
  serverErrors: number;
  errorSamples: string[];
  /** Server CPU (utime + stime) during the load per list read (arrivals included): main thread, whole process. */
  cpuMsPerList?: { main: number; all: number };
}

/** utime + stime in ms of a process and of its main thread, from /proc (Linux; undefined elsewhere). */
function cpuOf(pid: number | undefined): { all: number; main: number } | undefined {
  const read = (path: string) => {
    const f = readFileSync(path, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10; // USER_HZ 100
  };
  try {
    return pid === undefined
      ? undefined
      : { all: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
  } catch {
    return undefined;
  }
}

/** One patient with one study and its context, as transaction entries. */
function patientEntries(n: number, rng: Rng, now: number): { entries: unknown[]; uid: string } {
  const p = `urn:uuid:${randomUUID()}`;
  const order = `urn:uuid:${randomUUID()}`;
  const uid = `${ROOT}.${n}`;
  const [cls, status] = SETTINGS[rng.int(0, SETTINGS.length - 1)];
  const subject = { reference: p };
  const accession = `P12-${n}`;
  const site = SITES[rng.int(0, SITES.length - 1)];
  const post = (fullUrl: string, resource: Record<string, unknown>) => ({
    fullUrl,
    resource,
    request: { method: 'POST', url: resource.resourceType },
  });
  const entries: unknown[] = [
    post(p, { resourceType: 'Patient', name: [{ family: `P12-${n}`, given: ['Bench'] }] }),
    post(order, {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      priority: PRIORITIES[rng.int(0, PRIORITIES.length - 1)],
      identifier: [{ type: { coding: [{ code: 'ACSN' }] }, system: 'urn:p12:acc', value: accession }],
      code: { text: `CT ${site.display}` },
      subject,
    }),
    post(`urn:uuid:${randomUUID()}`, {
      resourceType: 'Encounter',
      status,
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls },
      subject,
    }),
    post(`urn:uuid:${randomUUID()}`, {
      resourceType: 'ImagingStudy',
      status: 'available',
      identifier: [
        { system: 'urn:dicom:uid', value: `urn:oid:${uid}` },
        { type: { coding: [{ code: 'ACSN' }] }, system: 'urn:p12:acc', value: accession },
      ],
      subject,
      started: new Date(now - rng.int(0, 72 * 60) * 60_000).toISOString(),
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }],
      description: `CT ${site.display}`,
      series: [{ uid: `${uid}.1`, modality: { code: 'CT' }, bodySite: site }],
    }),
  ];
  if (cls === 'EMER')
    entries.push(
      post(`urn:uuid:${randomUUID()}`, {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '75636-1' }] },
        subject,
        effectiveDateTime: new Date(now - 30 * 60_000).toISOString(),
        valueInteger: rng.int(1, 5),
      }),
    );
  if (rng.int(0, 9) === 0)
    entries.push(
      post(`urn:uuid:${randomUUID()}`, {
        resourceType: 'Flag',
        status: 'active',
        code: { coding: [{ system: 'http://hospital.example/fhir/CodeSystem/flag', code: 'pre-op' }], text: 'Pre-op' },
        subject,
      }),
    );
  return { entries, uid };
}

export async function runP12(opts: P12Options = {}): Promise<P12Result> {
  const log = opts.log ?? (() => undefined);
  const studies = opts.studies ?? 2400;
  const clients = opts.clients ?? 20;
  const seconds = opts.seconds ?? 30;
  const rng = Rng.stream(opts.seed ?? 12, 'p12');
  const server = await (opts.start ?? defaultStart)();
  const agent = keepAliveAgent(clients + 4);
  const errorSamples: string[] = [];
  let errors = 0;
  let serverErrors = 0;
  const fail = (what: string, status?: number) => {
    errors++;
    if (status !== undefined && status >= 500) serverErrors++;
    if (errorSamples.length < 5) errorSamples.push(what);
  };
  const transaction = async (entries: unknown[]) => {
    const r = await httpCall(`${server.url}/fhir`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/fhir+json' },
      body: Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries })),
    });
    if (r.status !== 200)
      throw Object.assign(new Error(`transaction: HTTP ${r.status} ${r.body.toString().slice(0, 300)}`), {
        status: r.status,
      });
  };
  const total = async () =>
    (JSON.parse((await httpCall(`${server.url}/api/worklist?limit=1`, { agent })).body.toString()) as { total: number })
      .total;
  try {
    const now = Date.now();
    const uids: string[] = [];
    for (let i = 0; i < studies; i += 50) {
      const batch = Array.from({ length: Math.min(50, studies - i) }, (_, k) => patientEntries(i + k + 1, rng, now));
      uids.push(...batch.map((b) => b.uid));
      await transaction(batch.flatMap((b) => b.entries));
    }
    const deadline = Date.now() + 600_000;
    while ((await total()) < studies) {
      if (Date.now() > deadline) throw new Error('P12: the worklist did not index every seeded study in 10 minutes');
      await new Promise((r) => setTimeout(r, 500));
    }
    log(`  P12: ${studies} studies seeded and indexed`);

    // The event stream: the first event naming each AI-result study with an `ai` term.
    const waiting = new Map<string, { posted: number; resolve: (ms: number) => void }>();
    let buffer = '';
    const stream = httpCall(`${server.url}/api/worklist/events`, {
      timeoutMs: (seconds + 120) * 1000,
      sink: (chunk) => {
        buffer += chunk.toString();
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const data = /^data: (.+)$/m.exec(buffer.slice(0, end))?.[1];
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          if (!data) continue;
          const e = JSON.parse(data) as { studyInstanceUid: string; item?: { terms: { term: string }[] } };
          const w = waiting.get(e.studyInstanceUid);
          if (w && e.item?.terms.some((t) => t.term === 'ai')) {
            waiting.delete(e.studyInstanceUid);
            w.resolve(Date.now() - w.posted);
          }
        }
      },
    }).catch(() => undefined);

    const cpuBefore = cpuOf(server.pid);
    const stopAt = Date.now() + seconds * 1000;
    const listTimes: number[] = [];
    const eventTimes: Promise<number | undefined>[] = [];
    let next = studies + 1;
    const arrivals = (async () => {
      while (Date.now() < stopAt) {
        const tick = Date.now();
        const fresh = patientEntries(next++, rng, Date.now());
        await transaction(fresh.entries).catch((e: Error & { status?: number }) => fail(e.message, e.status));
        const uid = uids[rng.int(0, uids.length - 1)];
        uids.push(fresh.uid);
        // Waiting before the POST: the event may arrive before the 201 does (then it counts 0 ms).
        const w = { posted: Number.POSITIVE_INFINITY, resolve: (_ms: number) => {} };
        const timed = new Promise<number | undefined>((resolve) => {
          w.resolve = (ms) => resolve(Math.max(0, ms));
          setTimeout(() => resolve(undefined), 10_000 + 2_000);
        });
        waiting.set(uid, w);
        const r = await httpCall(`${server.url}/api/ai-results`, {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(
            JSON.stringify({
              studyInstanceUid: uid,
              model: { name: 'p12-detector', version: '1' },
              findings: [
                { code: { system: SNOMED, code: '59282003', display: 'Pulmonary embolism' }, confidence: 0.9 },
              ],
            }),
          ),
        });
        w.posted = Date.now();
        if (r.status !== 201) {
          waiting.delete(uid);
          fail(`ai-results: HTTP ${r.status}`, r.status);
        } else eventTimes.push(timed);
        await new Promise((res) => setTimeout(res, Math.max(0, 1000 - (Date.now() - tick))));
      }
    })();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (Date.now() < stopAt) {
          const r = await httpCall(`${server.url}/api/worklist?limit=100`, { agent, timeoutMs: 60_000 });
          listTimes.push(r.totalMs);
          if (r.status !== 200) fail(`list: HTTP ${r.status}`, r.status);
        }
      }),
    );
    await arrivals;
    const cpuAfter = cpuOf(server.pid);
    const events = await Promise.all(eventTimes);
    const got = events.filter((x): x is number => x !== undefined);
    void stream;
    const result: P12Result = {
      studies,
      clients,
      requests: listTimes.length,
      listP50: percentile(listTimes, 50),
      listP95: percentile(listTimes, 95),
      aiResults: events.length,
      eventP50: got.length ? percentile(got, 50) : Number.NaN,
      eventP99: got.length ? percentile(got, 99) : Number.NaN,
      missedEvents: events.length - got.length,
      errors,
      serverErrors,
      errorSamples,
      ...(cpuBefore && cpuAfter && listTimes.length
        ? {
            cpuMsPerList: {
              main: (cpuAfter.main - cpuBefore.main) / listTimes.length,
              all: (cpuAfter.all - cpuBefore.all) / listTimes.length,
            },
          }
        : {}),
    };
    log(
      `  P12: ${result.requests} lists, p50 ${result.listP50.toFixed(1)} ms, p95 ${result.listP95.toFixed(1)} ms; ${result.aiResults} AI results, event p99 ${result.eventP99.toFixed(0)} ms, ${result.missedEvents} missed; ${result.errors} errors (${result.serverErrors} 5xx)${result.cpuMsPerList ? `; server CPU per list read ${result.cpuMsPerList.main.toFixed(2)} ms main thread, ${result.cpuMsPerList.all.toFixed(2)} ms all threads` : ''}`,
    );
    return result;
  } finally {
    agent.destroy();
    await server.stop();
  }
}

async function defaultStart(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const s = await startTestServer({ 'log-level': 'warn' }, { spawn: true });
  return { url: s.url, pid: s.pid, stop: () => s.stop() };
}

/** P12 as a bench/run.ts workload: our built server (dist/cli/main.js), no demo. */
export async function runP12Workload(ctx: BenchContext): Promise<WorkloadResult> {
  const errors: string[] = [];
  let result: P12Result | undefined;
  const dir = ctx.scratch.dir('ours-p12');
  try {
    result = await runP12({
      seed: ctx.options.seed,
      log: ctx.log,
      start: async () => {
        await ctx.quiet('P12');
        const b = await startTestServer(
          { 'data-dir': dir, 'log-level': 'warn' },
          { spawn: { startTimeoutMs: 180_000, ...(ctx.bridgeEntry ? { entry: ctx.bridgeEntry } : {}) } },
        );
        return { url: b.url, pid: b.pid, stop: () => b.stop() };
      },
    });
    if (result.errors)
      errors.push(
        `P12: ${result.errors} errors, ${result.serverErrors} of them 5xx (${result.errorSamples.join('; ')})`,
      );
    if (result.missedEvents) errors.push(`P12: ${result.missedEvents} AI results without an event within 10 s`);
  } catch (err) {
    errors.push(`P12: ${(err as Error).message}`);
  } finally {
    ctx.scratch.remove(dir);
  }
  const values = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? {} : { ours: v });
  return {
    id: 'P12',
    title: 'Radiology worklist: 2,400 unread studies, 20 clients, a new study and an AI result each second',
    rows: [
      { workload: 'P12', metric: 'worklist p50', unit: 'ms', better: 'lower', values: values(result?.listP50) },
      {
        workload: 'P12',
        metric: 'worklist p95',
        unit: 'ms',
        better: 'lower',
        values: values(result?.listP95),
        target: { text: '≤ 50 ms', maxOurs: 50 },
      },
      {
        workload: 'P12',
        metric: 'AI result → event p99',
        unit: 'ms',
        better: 'lower',
        values: values(result?.eventP99),
        target: { text: '≤ 2 s', maxOurs: 2000 },
      },
    ],
    notes: result
      ? [
          `${result.studies} seeded studies (order priority, encounter, triage, flags, as FHIR transactions), ${result.clients} clients reading GET /api/worklist?limit=100 (${result.requests} requests) while a new study and an AI result arrive each second (${result.aiResults} AI results, event p50 ${result.eventP50.toFixed(0)} ms); ${result.serverErrors} 5xx answers. Ours only.`,
        ]
      : [],
    raw: { result },
    errors,
  };
}

/** `node --import tsx bench/workloads/p12-worklist.ts [studies] [seconds] [clients]`: P12 alone, JSON out. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runP12({
    studies: Number(process.argv[2] ?? 2400),
    seconds: Number(process.argv[3] ?? 30),
    clients: Number(process.argv[4] ?? 20),
    log: (line) => console.log(line),
  }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
