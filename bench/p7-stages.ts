/**
 * P7 diagnostic (not a workload): 100 concurrent 2-instance studies as P7 sends them (one STOW
 * each, then a FHIR search every 20 ms until the ImagingStudy shows both instances), printing
 * the latency percentiles from each study's STOW answer to readable and the server's CPU
 * (/proc, user+system) over the run; compares builds with --entry.
 * Stage breakdown: a build whose sync worker appends, after each pass, a JSON line
 * {"p7": [[studyUid, firstChangedAt, changedAt], …], startedAt, syncedAt, end} to the file named
 * by IB_P7_STAGES (a local diagnostic patch, not in src) also gets where the time went:
 *   ack → changed (index commit) → pass start (debounce + waiting for a pass) → FHIR written
 *   (syncedAt) → readable (the polling client), and the pass's archive commit.
 * usage: node --import tsx bench/p7-stages.ts [--backend postgres] [--entry dist/cli/main.js]
 *        [--runs N] [--studies N] [--cpu-prof DIR]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { postgresBackend } from './backend-postgres.js';
import { bridgeFactory, type ServerFactory } from './servers.js';
import { percentile } from './stats.js';
import { newStudy, stowFiles } from './workloads/p7-bridge-latency.js';
import { withServer } from './workloads/context.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'sqlite' },
    entry: { type: 'string' },
    runs: { type: 'string', default: '1' },
    studies: { type: 'string', default: '100' },
    'cpu-prof': { type: 'string' },
  },
});
const stagesFile = join(tmpdir(), `ib-p7-stages-${process.pid}.jsonl`);
const env = { IB_P7_STAGES: stagesFile };
const opts = {
  ...(values.entry ? { entry: values.entry } : {}),
  ...(values['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] } : {}),
  env,
};
const pgBackend = values.backend === 'postgres' ? postgresBackend({ ...opts, blobs: 's3' }) : undefined;
const factory: ServerFactory = pgBackend ? pgBackend.factory : bridgeFactory(opts);

interface Sample {
  uid: string;
  ack: number;
  readable: number;
}

async function oneStudy(base: string): Promise<Sample> {
  const { studyUid, files } = newStudy(2);
  await stowFiles(base, files);
  const ack = Date.now();
  const url = `${base}/fhir/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${studyUid}`)}`;
  for (;;) {
    const b = (await (await fetch(url)).json()) as { entry?: { resource: { numberOfInstances?: number } }[] };
    if (b.entry?.[0]?.resource.numberOfInstances === 2) return { uid: studyUid, ack, readable: Date.now() };
    if (Date.now() - ack > 60_000) throw new Error(`${studyUid} not readable`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const q = (xs: number[]): string =>
  `p50 ${percentile(xs, 50).toFixed(0)} p90 ${percentile(xs, 90).toFixed(0)} p99 ${percentile(xs, 99).toFixed(0)} max ${Math.max(...xs).toFixed(0)}`;

try {
  for (let run = 1; run <= Number(values.runs); run++) {
    const dir = mkdtempSync(join(tmpdir(), 'ib-p7-stages-'));
    try {
      await withServer(factory, dir, async (server) => {
        const base = server.dicomWebUrl.replace(/\/dicomweb$/, '');
        const cpu0 = serverCpu(server.pid);
        const samples = await Promise.all(Array.from({ length: Number(values.studies) }, () => oneStudy(base)));
        const cpu1 = serverCpu(server.pid);
        const passes = (existsSync(stagesFile) ? readFileSync(stagesFile, 'utf8') : '')
          .split('\n')
          .filter((l) => l.includes('"p7"'))
          .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as PassLine);
        const byUid = new Map<string, { pass: PassLine; changedAt: number }>();
        for (const p of passes) for (const [uid, , changedAt] of p.p7) byUid.set(uid, { pass: p, changedAt });
        const stage = {
          ackToChanged: [] as number[],
          debounceWait: [] as number[],
          fhir: [] as number[],
          poll: [] as number[],
          commit: [] as number[],
          total: [] as number[],
          passStudies: [] as number[],
        };
        for (const s of samples) {
          const p = byUid.get(s.uid);
          stage.total.push(s.readable - s.ack);
          if (!p) continue;
          stage.ackToChanged.push(p.changedAt - s.ack);
          stage.debounceWait.push(p.pass.startedAt - p.changedAt);
          stage.fhir.push(p.pass.syncedAt - p.pass.startedAt);
          stage.commit.push(p.pass.end - p.pass.syncedAt);
          stage.poll.push(s.readable - p.pass.syncedAt);
        }
        const small = passes.filter((p) => p.p7.some(([uid]) => samples.some((s) => s.uid === uid)));
        console.log(
          `run ${run}: ${samples.length} studies, ${small.length} passes, server CPU ${(cpu1 - cpu0).toFixed(0)} ms`,
        );
        for (const [k, v] of Object.entries(stage)) if (k !== 'passStudies') console.log(`  ${k.padEnd(13)} ${q(v)}`);
        const t0 = Math.min(...samples.map((s) => s.ack));
        for (const p of small)
          console.log(
            `  pass +${p.startedAt - t0} ms: ${p.p7.length} studies, changed +${Math.min(...p.p7.map((r) => r[2])) - t0}..+${Math.max(...p.p7.map((r) => r[2])) - t0}, fhir ${p.syncedAt - p.startedAt} ms (phases ${(p.phase ?? []).map((x, i, a) => (i ? x - a[i - 1]! : x - p.startedAt)).join('/')}), commit ${p.end - p.syncedAt} ms`,
          );
      });
    } finally {
      rmSync(stagesFile, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await pgBackend?.stop();
}

interface PassLine {
  p7: [string, number, number][];
  startedAt: number;
  syncedAt: number;
  end: number;
  phase?: number[];
}

function serverCpu(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
