/**
 * P12 with the server's CPU split by thread: `node --import tsx bench/p12-threads.ts [studies]
 * [seconds] [clients] [entry]`. Runs `runP12` against the built server (dist/cli/main.js, or
 * `entry`) and reads /proc/<pid>/task/<tid>/{comm,schedstat,stat} once a second: per thread its
 * CPU and its run-queue wait during the load window (from "seeded and indexed" to `seconds`
 * later), per list read; then the same for the catch-up after the load (the projection at nice
 * 19 runs mostly then), and this process's own CPU (the load generator shares the cores).
 * Diagnostic only (Linux), for A/B runs of the same build pair in the same minutes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startTestServer } from '../test/support/server.js';
import { runP12 } from './workloads/p12-worklist.js';

interface Thread {
  name: string;
  /** bytes written (sockets included) and write calls, from /proc/…/io: tells the writer threads apart */
  wchar: number;
  syscw: number;
  start: number;
  nice: number;
  runMs: number;
  waitMs: number;
}

function threads(pid: number): Map<string, Thread> {
  const out = new Map<string, Thread>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const dir = `/proc/${pid}/task/${tid}`;
      const stat = readFileSync(`${dir}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [run, wait] = readFileSync(`${dir}/schedstat`, 'utf8').split(' ').map(Number);
      const io = new Map(
        readFileSync(`${dir}/io`, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(': ') as [string, string]),
      );
      out.set(tid, {
        name: tid === String(pid) ? 'main' : `tid ${tid}`,
        nice: Number(fields[16]),
        start: Number(fields[19]),
        runMs: run! / 1e6,
        waitMs: wait! / 1e6,
        wchar: Number(io.get('wchar') ?? 0),
        syscw: Number(io.get('syscw') ?? 0),
      });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

function diff(a: Map<string, Thread>, b: Map<string, Thread>, per: number): Record<string, string> {
  const rows = new Map<string, { run: number; wait: number; wchar: number; syscw: number; start: number }>();
  for (const [tid, t] of b) {
    const before = a.get(tid);
    const key = `${t.name}${t.nice ? ` (nice ${t.nice})` : ''}`;
    rows.set(key, {
      run: t.runMs - (before?.runMs ?? 0),
      wait: t.waitMs - (before?.waitMs ?? 0),
      wchar: t.wchar - (before?.wchar ?? 0),
      syscw: t.syscw - (before?.syscw ?? 0),
      start: t.start,
    });
  }
  const out: Record<string, string> = {};
  let total = 0;
  for (const [k, r] of [...rows].sort((x, y) => y[1].run - x[1].run)) {
    total += r.run;
    if (r.run / per < 0.005) continue;
    out[k] =
      `cpu ${(r.run / per).toFixed(3)} ms, runq wait ${(r.wait / per).toFixed(3)} ms, ` +
      `${(r.wchar / per / 1024).toFixed(1)} KB in ${(r.syscw / per).toFixed(2)} writes, started ${r.start}`;
  }
  out.total = `cpu ${(total / per).toFixed(3)} ms`;
  return out;
}

const studies = Number(process.argv[2] ?? 2400);
const seconds = Number(process.argv[3] ?? 20);
const clients = Number(process.argv[4] ?? 20);
const entry = process.argv[5];

let pid = 0;
const samples: { at: number; t: Map<string, Thread>; self: NodeJS.CpuUsage }[] = [];
let sampler: NodeJS.Timeout | undefined;
let loadStart = 0;
const result = await runP12({
  studies,
  seconds,
  clients,
  log: (line) => {
    console.log(line);
    if (line.includes('seeded and indexed')) {
      loadStart = Date.now();
      samples.push({ at: loadStart, t: threads(pid), self: process.cpuUsage() });
    }
  },
  start: async () => {
    const s = await startTestServer(
      { 'log-level': 'warn' },
      {
        spawn: {
          startTimeoutMs: 180_000,
          ...(entry ? { entry } : {}),
          // e.g. P12_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (every thread writes a profile)
          ...(process.env.P12_NODE_ARGS ? { nodeArgs: process.env.P12_NODE_ARGS.split(' ') } : {}),
        },
      },
    );
    pid = s.pid;
    sampler = setInterval(() => samples.push({ at: Date.now(), t: threads(pid), self: process.cpuUsage() }), 250);
    return {
      url: s.url,
      pid: s.pid,
      stop: async () => {
        clearInterval(sampler);
        // the copies' catch-up after the load, up to 60 s
        for (let i = 0; i < 120; i++) {
          const a = threads(pid);
          await new Promise((r) => setTimeout(r, 500));
          const b = threads(pid);
          let used = 0;
          for (const [tid, t] of b) used += t.runMs - (a.get(tid)?.runMs ?? 0);
          samples.push({ at: Date.now(), t: b, self: process.cpuUsage() });
          if (used < 25) break;
        }
        await s.stop();
      },
    };
  },
});
const start = samples.find((s) => s.at >= loadStart)!;
const endAt = loadStart + seconds * 1000;
const end = samples.filter((s) => s.at <= endAt + 300).at(-1)!;
const last = samples.at(-1)!;
const n = result.requests;
const selfMs = (e: typeof start) => (e.self.user + e.self.system - start.self.user - start.self.system) / 1000;
console.log(
  JSON.stringify(
    {
      result,
      windowMs: end.at - start.at,
      perListDuringLoad: diff(start.t, end.t, n),
      perListIncludingCatchUp: diff(start.t, last.t, n),
      catchUpMs: last.at - end.at,
      loadGeneratorMsPerList: (selfMs(end) / n).toFixed(3),
    },
    null,
    2,
  ),
);
