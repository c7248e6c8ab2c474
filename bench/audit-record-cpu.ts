/**
 * Main-thread CPU per audited access, in process (no HTTP, no FHIR copy): opens the SQLite audit
 * log in a temp dir and records `requests` accesses of each shape through `recordAccess`,
 * `clients` at a time (each group is one turn of the event loop, as concurrent requests are), and
 * reports the CPU of the main thread (/proc/self/task/<pid>/stat) and of the whole process per
 * access. A/B: run this file from two trees (e.g. a `git worktree` of main) in the same minute.
 *
 *   C  the context read of one patient (one event, a user behind the token)
 *   W  a list read naming 100 patients (one event: the worklist page's record)
 *   F  a FHIR read of one resource of one patient
 *
 *   node --import tsx bench/audit-record-cpu.ts [--requests 3000] [--clients 20] [--rounds 3] [--only C,W,F]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openAuditLog, recordAccess } from '../src/audit/index.js';
import type { AccessRecord } from '../src/audit/balp/access-record.js';

const TICK_MS = 1000 / 100; // USER_HZ

function mainThreadMs(): number {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
}

const processMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const server = { publicUrl: 'https://imaging.example.org' };
const user = {
  kind: 'user' as const,
  clientId: 'console',
  subject: 'u-123',
  jti: 'jti-abc',
  issuer: 'https://imaging.example.org/oauth',
  scope: 'user/*.rs',
  roles: ['radiologist' as const],
  fhirUser: 'Practitioner/pr-1',
};
const patients = Array.from({ length: 100 }, (_, i) => `pat-${i.toString(16).padStart(8, '0')}`);

/** What every record of the run shares: the caller, the request and the server. */
const request = (i: number) => ({
  principal: user,
  requestId: `req-${i}`,
  sourceIp: '10.0.0.7',
  outcome: { httpStatus: 200 },
  recorded: new Date(),
  server,
});

const shapes = new Map<string, (i: number) => AccessRecord>([
  [
    'C',
    (i) => ({
      ...request(i),
      access: {
        kind: 'context',
        patientId: patients[i % 100]!,
        sections: ['patient', 'encounters', 'orders', 'studies', 'reports', 'conditions', 'medications', 'allergies'],
      },
    }),
  ],
  [
    'W',
    (i) => ({
      ...request(i),
      access: {
        kind: 'fhir',
        interaction: 'search-type',
        resourceType: 'ImagingStudy',
        query: '_count=100&_sort=-started&status=available',
        patientIds: patients,
      },
    }),
  ],
  [
    'F',
    (i) => ({
      ...request(i),
      access: {
        kind: 'fhir',
        interaction: 'read',
        resourceType: 'Observation',
        id: `obs-${i}`,
        patientIds: [patients[i % 100]!],
      },
    }),
  ],
]);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '3000' },
      clients: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '3' },
      only: { type: 'string', default: 'C,W,F' },
    },
  });
  const requests = Number(values.requests);
  const clients = Number(values.clients);
  const root = mkdtempSync(join(tmpdir(), 'ib-audit-cpu-'));
  const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };
  const log = openAuditLog({ dataDir: join(root, 'data'), keyFile: join(root, 'key'), logger: silent });
  try {
    const run = async (build: (i: number) => AccessRecord, n: number) => {
      for (let i = 0; i < n; i += clients)
        await Promise.all(
          Array.from({ length: Math.min(clients, n - i) }, (_, k) => recordAccess(log.sink, build(i + k))),
        );
    };
    for (const kind of values.only.split(',')) {
      const build = shapes.get(kind);
      if (!build) throw new Error(`unknown shape ${kind}`);
      await run(build, Math.max(clients, requests / 5)); // warm-up (JIT, the thread's statements)
      for (let round = 0; round < Number(values.rounds); round++) {
        const m0 = mainThreadMs();
        const p0 = processMs();
        await run(build, requests);
        const main = (mainThreadMs() - m0) / requests;
        const all = (processMs() - p0) / requests;
        console.log(
          JSON.stringify({ kind, round, requests, mainMsPerAccess: +main.toFixed(4), allMsPerAccess: +all.toFixed(4) }),
        );
      }
    }
  } finally {
    await log.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
