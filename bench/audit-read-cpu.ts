/**
 * CPU per audited read, A/B between builds (for a shared, busy machine where wall-clock figures
 * say little). For each entry script: start the server (no demo, auth none), seed `patients`
 * patients with a study, an order and an encounter each, then send a fixed number of
 *   W  GET /api/worklist?limit=100     (one AuditEvent per page, naming up to 100 patients; 100 before)
 *   C  GET /api/context?patient=…      (P8's request: one event)
 *   S  GET /api/stroke/assessment?patient=…   (P10's read: one event)
 * with `clients` in flight, wait until the audit copies are written, and report the server's CPU
 * (utime + stime from /proc, all threads and the main thread alone) per request, the audit
 * records per request, and fsync calls per request when strace is installed (--fsyncs).
 *
 *   node --import tsx bench/audit-read-cpu.ts --entry dist/cli/main.js --entry /tmp/base/dist/cli/main.js
 *     [--patients 300] [--requests 200] [--clients 20] [--only W,C,S] [--fsyncs]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestServer } from '../test/support/server.js';
import { httpCall, keepAliveAgent } from './http-client.js';
import { cpuBetween, threadSnapshot } from './thread-cpu.js';

const TICK_MS = 1000 / 100; // USER_HZ

/** utime + stime in ms of the whole process and of its main thread. */
function cpuOf(pid: number): { all: number; main: number } {
  const read = (path: string) => {
    const f = readFileSync(path, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  };
  return { all: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
}

const threads = (pid: number) => readdirSync(`/proc/${pid}/task`).length;

function seedEntries(n: number): unknown[] {
  const p = `urn:uuid:${randomUUID()}`;
  const subject = { reference: p };
  const post = (fullUrl: string, resource: Record<string, unknown>) => ({
    fullUrl,
    resource,
    request: { method: 'POST', url: resource.resourceType },
  });
  return [
    post(p, {
      resourceType: 'Patient',
      identifier: [{ system: 'urn:cpu:mrn', value: `M${n}` }],
      name: [{ family: `Cpu-${n}` }],
      gender: n % 2 ? 'male' : 'female',
      birthDate: '1950-01-01',
    }),
    post(`urn:uuid:${randomUUID()}`, {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      priority: n % 3 ? 'routine' : 'stat',
      subject,
    }),
    post(`urn:uuid:${randomUUID()}`, {
      resourceType: 'Encounter',
      status: 'in-progress',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: n % 2 ? 'EMER' : 'AMB' },
      subject,
    }),
    post(`urn:uuid:${randomUUID()}`, {
      resourceType: 'ImagingStudy',
      status: 'available',
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:1.2.826.0.1.3680043.10.1456.77.${n}` }],
      subject,
      started: new Date(Date.now() - n * 60_000).toISOString(),
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }],
      description: 'CT Head',
    }),
  ];
}

interface Row {
  entry: string;
  kind: string;
  requests: number;
  cpuMsPerReq: number;
  mainMsPerReq: number;
  /** Threads at a lowered priority: the audit projection's (no rendering in these reads). */
  loweredMsPerReq?: number;
  reqPerSec: number;
  auditRecordsPerReq: number;
  /** AuditEvents not yet searchable when the last response arrived (one count request's record aside). */
  lagAtEnd: number;
  /** From then until the server's CPU settled (less the 1 s the check itself waits). */
  catchUpMs: number;
  fsyncsPerReq?: number;
  errors: number;
}

async function measure(entry: string, o: Options): Promise<Row[]> {
  const server = await startTestServer(
    { 'log-level': 'warn' },
    {
      spawn: {
        entry,
        startTimeoutMs: 120_000,
        ...(o.cpuProf ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${resolve(o.cpuProf)}`] } : {}),
      },
    },
  );
  const agent = keepAliveAgent(o.clients + 2);
  const rows: Row[] = [];
  try {
    for (let i = 0; i < o.patients; i += 50) {
      const entries = Array.from({ length: Math.min(50, o.patients - i) }, (_, k) => seedEntries(i + k)).flat();
      const r = await httpCall(`${server.url}/fhir`, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/fhir+json' },
        body: Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries })),
      });
      if (r.status !== 200) throw new Error(`seed: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
    }
    const ids = (
      JSON.parse(
        (await httpCall(`${server.url}/fhir/Patient?_count=${o.patients}&_elements=id`, { agent })).body.toString(),
      ) as { entry: { resource: { id: string } }[] }
    ).entry.map((e) => e.resource.id);
    const auditCount = async () =>
      (
        JSON.parse((await httpCall(`${server.url}/fhir/AuditEvent?_summary=count`, { agent })).body.toString()) as {
          total: number;
        }
      ).total;
    /** Waits until the server's CPU stops moving (the FHIR copies done); its CPU then (at most 4 s under --cpu-prof, whose sampler threads never rest). */
    const settled = async () => {
      let last = cpuOf(server.pid);
      for (let i = 0; i < (o.cpuProf ? 4 : Infinity); i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = cpuOf(server.pid);
        if (now.all - last.all < 30) return last;
        last = now;
      }
      return last;
    };
    const urls = new Map<string, (i: number) => string>([
      ['W', () => '/api/worklist?limit=100'],
      ['C', (i) => `/api/context?patient=${ids[i % ids.length]}`],
      ['S', (i) => `/api/stroke/assessment?patient=${ids[i % ids.length]}`],
    ]);
    for (const kind of o.only) {
      const url = urls.get(kind);
      if (!url) throw new Error(`unknown kind ${kind}`);
      const run = async (n: number) => {
        let next = 0;
        let errors = 0;
        await Promise.all(
          Array.from({ length: o.clients }, async () => {
            while (next < n) {
              const r = await httpCall(`${server.url}${url(next++)}`, { agent });
              if (r.status !== 200) errors++;
            }
          }),
        );
        return errors;
      };
      await run(Math.max(o.clients, Math.floor(o.requests / 2))); // warm-up
      await settled(); // the audit copies of the warm-up
      const before = await auditCount();
      const strace = o.fsyncs
        ? spawn('strace', ['-f', '-c', '-e', 'trace=fsync,fdatasync', '-p', String(server.pid)], { stdio: 'pipe' })
        : undefined;
      let straceOut = '';
      strace?.stderr.on('data', (d: Buffer) => (straceOut += d.toString()));
      if (strace) await new Promise((r) => setTimeout(r, 500));
      const c0 = cpuOf(server.pid);
      const s0 = threadSnapshot(server.pid);
      const t0 = performance.now();
      const errors = await run(o.requests);
      const wallMs = performance.now() - t0;
      // How far the FHIR copy is behind when the load stops, and how long it takes to catch up.
      const lagAtEnd = before + o.requests - (await auditCount());
      const t1 = performance.now();
      const c1 = await settled(); // the copies into FHIR are part of the cost
      const catchUpMs = Math.max(0, performance.now() - t1 - 1000);
      const lowered = cpuBetween(s0, threadSnapshot(server.pid))?.loweredMs;
      if (strace) {
        strace.kill('SIGINT');
        await new Promise((r) => strace.on('close', r));
      }
      const after = await auditCount();
      const fsyncs = strace
        ? [...straceOut.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync)\s*$/gm)].reduce(
            (s, m) => s + Number(m[1]),
            0,
          )
        : undefined;
      rows.push({
        entry,
        kind,
        requests: o.requests,
        cpuMsPerReq: (c1.all - c0.all) / o.requests,
        mainMsPerReq: (c1.main - c0.main) / o.requests,
        ...(lowered === undefined ? {} : { loweredMsPerReq: lowered / o.requests }),
        // Wall clock: only comparable between builds measured in the same minute on a quiet machine.
        reqPerSec: Math.round((o.requests / wallMs) * 1000),
        auditRecordsPerReq: (after - before - 1) / o.requests,
        lagAtEnd,
        catchUpMs: Math.round(catchUpMs),
        ...(fsyncs === undefined ? {} : { fsyncsPerReq: fsyncs / o.requests }),
        errors,
      });
      console.error(`${entry} ${kind}: ${JSON.stringify(rows[rows.length - 1])} threads ${threads(server.pid)}`);
    }
  } finally {
    agent.destroy();
    await server.stop();
  }
  return rows;
}

interface Options {
  patients: number;
  requests: number;
  clients: number;
  only: string[];
  fsyncs: boolean;
  cpuProf?: string;
}

const { values } = parseArgs({
  options: {
    entry: { type: 'string', multiple: true },
    patients: { type: 'string', default: '300' },
    requests: { type: 'string', default: '200' },
    clients: { type: 'string', default: '20' },
    only: { type: 'string', default: 'W,C,S' },
    fsyncs: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
  },
});
const o: Options = {
  patients: Number(values.patients),
  requests: Number(values.requests),
  clients: Number(values.clients),
  only: values.only.split(','),
  fsyncs: values.fsyncs,
  ...(values['cpu-prof'] ? { cpuProf: values['cpu-prof'] } : {}),
};
const all: Row[] = [];
for (let round = 0; round < Number(values.rounds); round++)
  for (const e of values.entry ?? ['dist/cli/main.js']) all.push(...(await measure(resolve(e), o)));
console.table(all.map((r) => ({ ...r, entry: r.entry.replace(/\/dist\/cli\/main\.js$/, '') })));
