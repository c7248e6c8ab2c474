/**
 * P7: from the acknowledgement of a study's last instance (STOW-RS) to its ImagingStudy with
 * the right counts being readable in FHIR. Two shapes: one 400-instance study (sent in several
 * STOW requests, as modalities do), and 100 small studies sent concurrently. Also reports how
 * many FHIR writes (ImagingStudy versions) each study cost per second of its sync window.
 * Self-contained: takes the base URL of a running ImagingBridge (embedded FHIR as target).
 */
import { ctInstance } from '../../src/dicom/test-support.js';
import { multipartBody } from '../../test/support/multipart.js';
import { median, percentile } from '../stats.js';
import { withServer, type BenchContext } from './context.js';
import type { Row, WorkloadResult } from './types.js';

export interface P7Options {
  /** e.g. http://127.0.0.1:8080 (DICOMweb at /dicomweb, FHIR at /fhir). */
  baseUrl: string;
  largeInstances?: number;
  /** Instances per STOW request of the large study. */
  largeBatch?: number;
  smallStudies?: number;
  smallInstances?: number;
  pollMs?: number;
  timeoutMs?: number;
}

export interface StudyLatency {
  studyUid: string;
  instances: number;
  latencyMs: number;
  /** ImagingStudy versions written, and per second of the time from first STOW to readable. */
  versions: number;
  writesPerSecond: number;
}

const ROOT = '1.2.826.0.1.3680043.10.1456.97';
let counter = 0;

export function newStudy(instances: number): { studyUid: string; files: Buffer[] } {
  const base = `${ROOT}.${process.pid}.${Date.now() % 1e9}.${++counter}`;
  const files = Array.from({ length: instances }, (_, i) =>
    ctInstance({
      study: base,
      series: `${base}.1`,
      sop: `${base}.1.${i + 1}`,
      patientId: `P7-${counter % 50}`,
      patientName: 'Bench^P7',
      rows: 16,
      columns: 16,
    }),
  );
  return { studyUid: base, files };
}

export async function stowFiles(baseUrl: string, files: Buffer[]): Promise<void> {
  const { body, contentType } = multipartBody(files, `p7-${Math.random().toString(36).slice(2)}`);
  const res = await fetch(`${baseUrl}/dicomweb/studies`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`STOW answered ${res.status}`);
}

async function readable(
  baseUrl: string,
  studyUid: string,
  instances: number,
  pollMs: number,
  deadline: number,
): Promise<{ at: number; versions: number }> {
  const url = `${baseUrl}/fhir/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${studyUid}`)}`;
  for (;;) {
    const bundle = (await (await fetch(url)).json()) as {
      entry?: { resource: { numberOfInstances?: number; meta?: { versionId?: string } } }[];
    };
    const found = bundle.entry?.[0]?.resource;
    if (found?.numberOfInstances === instances)
      return { at: performance.now(), versions: Number(found.meta?.versionId ?? 1) };
    if (performance.now() > deadline)
      throw new Error(`study ${studyUid}: not readable with ${instances} instances in time`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function measureStudy(o: Required<P7Options>, instances: number, batch: number): Promise<StudyLatency> {
  const { studyUid, files } = newStudy(instances);
  const started = performance.now();
  for (let i = 0; i < files.length; i += batch) await stowFiles(o.baseUrl, files.slice(i, i + batch));
  const acked = performance.now();
  const { at, versions } = await readable(o.baseUrl, studyUid, instances, o.pollMs, acked + o.timeoutMs);
  return {
    studyUid,
    instances,
    latencyMs: at - acked,
    versions,
    writesPerSecond: versions / Math.max(1, (at - started) / 1000),
  };
}

export async function measureP7(options: P7Options): Promise<{ large: StudyLatency; small: StudyLatency[] }> {
  const o: Required<P7Options> = {
    largeInstances: 400,
    largeBatch: 50,
    smallStudies: 100,
    smallInstances: 2,
    pollMs: 20,
    timeoutMs: 60_000,
    ...options,
  };
  const large = await measureStudy(o, o.largeInstances, o.largeBatch);
  const small = await Promise.all(
    Array.from({ length: o.smallStudies }, () => measureStudy(o, o.smallInstances, o.smallInstances)),
  );
  return { large, small };
}

/** P7 as a workload result (ours only: Orthanc has no FHIR bridge to compare with). */
export async function runP7(options: P7Options): Promise<WorkloadResult> {
  const errors: string[] = [];
  try {
    const { large, small } = await measureP7(options);
    const smallMs = small.map((s) => s.latencyMs);
    const target = { text: 'p99 ≤ 1000 ms', maxOurs: 1000 };
    return {
      id: 'P7',
      title: 'DICOM → FHIR: last instance acknowledged → ImagingStudy readable with correct counts',
      rows: [
        {
          workload: 'P7',
          metric: `CT${large.instances} study latency`,
          unit: 'ms',
          better: 'lower',
          values: { ours: Math.round(large.latencyMs) },
          target,
        },
        {
          workload: 'P7',
          metric: `${small.length} concurrent small studies p99`,
          unit: 'ms',
          better: 'lower',
          values: { ours: Math.round(percentile(smallMs, 99)) },
          target,
        },
        {
          workload: 'P7',
          metric: `${small.length} concurrent small studies p50`,
          unit: 'ms',
          better: 'lower',
          values: { ours: Math.round(percentile(smallMs, 50)) },
        },
        {
          workload: 'P7',
          metric: 'max FHIR writes per study per second',
          unit: '/s',
          better: 'lower',
          values: { ours: Math.max(large.writesPerSecond, ...small.map((s) => s.writesPerSecond)) },
          target: { text: '≈ ≤ 1', maxOurs: 1.5 },
        },
      ],
      notes: ['one server, embedded FHIR target; the large study is sent in STOW requests of 50 instances'],
      raw: { large, small },
      errors,
    };
  } catch (e) {
    errors.push((e as Error).message);
    return { id: 'P7', title: 'DICOM → FHIR latency', rows: [], notes: [], raw: {}, errors };
  }
}

/**
 * P7 as a bench/run.ts workload: our server from the run's factory (the build under test),
 * a fresh data folder per run; the large study's latency is the median over runs, the small
 * studies' p50/p99 are taken over all runs' samples together.
 */
export async function runP7Workload(ctx: BenchContext): Promise<WorkloadResult> {
  const ours = ctx.factories.find((f) => f.side === 'ours');
  if (!ours)
    return {
      id: 'P7',
      title: 'DICOM → FHIR latency',
      rows: [],
      notes: ['P7 runs on our server only (not started: --skip-ours).'],
      raw: {},
      errors: [],
    };
  const errors: string[] = [];
  const runs: { large: StudyLatency; small: StudyLatency[] }[] = [];
  for (let run = 1; run <= ctx.options.runs; run++) {
    const dir = ctx.scratch.dir('ours-p7');
    try {
      await ctx.quiet(`P7 run ${run}`);
      const r = await withServer(ours, dir, (server) =>
        measureP7({ baseUrl: server.dicomWebUrl.replace(/\/dicomweb$/, '') }),
      );
      runs.push(r);
      const smallMs = r.small.map((s) => s.latencyMs);
      ctx.log(
        `  P7 run ${run}: CT${r.large.instances} ${r.large.latencyMs.toFixed(0)} ms (${r.large.versions} ImagingStudy versions); ${r.small.length} small studies p50 ${percentile(smallMs, 50).toFixed(0)} ms, p99 ${percentile(smallMs, 99).toFixed(0)} ms`,
      );
    } catch (err) {
      errors.push(`P7 run ${run}: ${(err as Error).message}`);
      ctx.log(`  P7 run ${run} failed: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      ctx.scratch.remove(dir);
    }
  }
  const target = { text: 'p99 ≤ 1000 ms', maxOurs: 1000 };
  const smallMs = runs.flatMap((r) => r.small.map((s) => s.latencyMs));
  const all = runs.flatMap((r) => [r.large, ...r.small]);
  const large = runs.map((r) => r.large);
  const rows: Row[] = runs.length
    ? [
        {
          workload: 'P7',
          metric: `CT${large[0]!.instances} study (STOW 50 per request): last ack → ImagingStudy readable, median of runs`,
          unit: 'ms',
          better: 'lower',
          values: { ours: median(large.map((l) => l.latencyMs)) },
          target,
        },
        {
          workload: 'P7',
          metric: `${runs[0]!.small.length} concurrent 2-instance studies: p50`,
          unit: 'ms',
          better: 'lower',
          values: { ours: percentile(smallMs, 50) },
        },
        {
          workload: 'P7',
          metric: `${runs[0]!.small.length} concurrent 2-instance studies: p99`,
          unit: 'ms',
          better: 'lower',
          values: { ours: percentile(smallMs, 99) },
          target,
        },
        {
          workload: 'P7',
          metric: 'ImagingStudy versions written for the CT study, median of runs',
          unit: 'versions',
          better: 'lower',
          values: { ours: median(large.map((l) => l.versions)) },
        },
        {
          workload: 'P7',
          metric: 'max ImagingStudy writes per study per second',
          unit: '/s',
          better: 'lower',
          values: { ours: Math.max(...all.map((s) => s.writesPerSecond)) },
        },
      ]
    : [];
  const notes = runs.length
    ? [
        `${runs.length} runs, each on a fresh server (embedded FHIR target, defaults of \`serve --auth none\`): one ${large[0]!.instances}-instance CT study in STOW-RS requests of 50, then ${runs[0]!.small.length} studies of 2 instances stored concurrently (one STOW each); latency = from the last STOW answer of a study to the first FHIR search (ImagingStudy?identifier=urn:dicom:uid|…, polled every 20 ms) that shows numberOfInstances = the instances sent. p50/p99 over ${smallMs.length} small studies of all runs (nearest rank: p99 of ${smallMs.length} is the ${Math.ceil(0.99 * smallMs.length)}th).`,
        'Writes per second: ImagingStudy versionId ÷ seconds from the first STOW of a study to readable (lower = fewer intermediate FHIR writes).',
      ]
    : [];
  return {
    id: 'P7',
    title: 'DICOM → FHIR: last instance acknowledged → ImagingStudy readable with correct counts',
    rows,
    notes,
    raw: { runs },
    errors,
  };
}
