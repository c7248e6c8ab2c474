/**
 * A/B of the WADO-RS retrieve of CT400 between two builds, interleaved request by request:
 * both servers run side by side on copies of one data folder; per request the client's wall
 * time and the server's CPU (utime + stime of the whole process, /proc) are noted, and the
 * peak RSS of each server over all its requests.
 *   node --import tsx bench/p6-ab.ts <entry A> <entry B> [rounds] [cacheDir]
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SpawnedServer, startTestServer } from '../test/support/server.js';
import { retrieveStudy, stow } from './dicomweb.js';
import { ensureDataset } from './generate.js';
import { fileParts } from './multipart.js';
import { manifestFiles } from './workloads/context.js';

const [entryA, entryB, roundsArg, cacheDir] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 6);
const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // ms at 100 Hz
};
const start = (entry: string, dir: string) =>
  startTestServer({ 'data-dir': dir }, { spawn: { entry, env: { MALLOC_ARENA_MAX: '2' } } }) as Promise<SpawnedServer>;

const manifest = ensureDataset('CT400', { cacheDir });
const studyUid = manifest.entries[0]!.studyUid;
const root = mkdtempSync(join(tmpdir(), 'p6-ab-'));
const dirA = join(root, 'a');
const dirB = join(root, 'b');
const loader = await start(entryA!, dirA);
const stored = await stow(loader.dicomweb, fileParts(manifestFiles(manifest)));
await new Promise((r) => setTimeout(r, 8_000)); // let the bridge finish the study
await loader.stop();
console.log(`stored ${stored.stored}`);
cpSync(dirA, dirB, { recursive: true });
cpSync(`${dirA}.audit-key`, `${dirB}.audit-key`);
const servers = { A: await start(entryA!, dirA), B: await start(entryB!, dirB) };
await new Promise((r) => setTimeout(r, 5_000));
for (const s of Object.values(servers)) s.resetPeakRss();
const rows: Record<'A' | 'B', { ms: number[]; cpu: number[] }> = { A: { ms: [], cpu: [] }, B: { ms: [], cpu: [] } };
try {
  for (let r = 0; r < rounds; r++) {
    for (const side of (r % 2 ? ['B', 'A'] : ['A', 'B']) as ('A' | 'B')[]) {
      const s = servers[side];
      const c0 = ticks(s.pid);
      const res = await retrieveStudy(s.dicomweb, studyUid);
      const cpu = ticks(s.pid) - c0;
      if (res.parts !== manifest.entries.length) throw new Error(`${side}: ${res.parts} parts`);
      rows[side].ms.push(res.ms);
      rows[side].cpu.push(cpu);
      console.log(`round ${r} ${side}: ${res.ms.toFixed(0)} ms, server CPU ${cpu} ms`);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const side of ['A', 'B'] as const) {
    const x = rows[side];
    console.log(
      `${side}: wall median ${med(x.ms).toFixed(0)} ms (${Math.min(...x.ms).toFixed(0)}–${Math.max(...x.ms).toFixed(0)}), CPU median ${med(x.cpu)} ms (${Math.min(...x.cpu)}–${Math.max(...x.cpu)}), peak RSS ${(servers[side].peakRssKb() / 1024).toFixed(0)} MB`,
    );
  }
} finally {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  rmSync(root, { recursive: true, force: true });
}
