/**
 * P8's server CPU per request split by thread (/proc/<pid>/task: name, nice, schedstat), with
 * optional V8 profiles of every thread: the built server with --demo, the P8 load (runP8).
 *   node --import tsx bench/probe/p8-threads.ts [--runs N] [--per-client N] [--cpu-prof DIR] [--entry FILE]
 * Threads at nice 10 are the audit projection; `WorkerThread`-named ones the audit writer (and
 * read threads when configured). CPU, not wall time: the machine is shared.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestServer } from '../../test/support/server.js';
import { runP8 } from '../workloads/p8-context.js';

interface Thread {
  name: string;
  nice: number;
  ms: number;
}

function threads(pid: number): Map<string, Thread> {
  const out = new Map<string, Thread>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ms = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
      out.set(tid, { name, nice: Number(fields[16]), ms });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    'per-client': { type: 'string', default: '40' },
    'cpu-prof': { type: 'string' },
    entry: { type: 'string' },
  },
});
let before = new Map<string, Thread>();
let requests = 0;
let pid = 0;
const result = await runP8({
  runs: Number(values.runs),
  requestsPerClient: Number(values['per-client']),
  log: (l) => console.log(l),
  quiet: async () => {
    before = threads(pid);
  },
  start: async () => {
    const s = await startTestServer(
      { 'log-level': 'warn' },
      {
        spawn: {
          args: ['--demo'],
          startTimeoutMs: 180_000,
          env: { MALLOC_ARENA_MAX: '2' },
          ...(values.entry ? { entry: values.entry } : {}),
          ...(values['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`] } : {}),
        },
      },
    );
    pid = s.pid!;
    return {
      url: s.url,
      pid: s.pid,
      stop: async () => {
        const after = threads(pid);
        requests = Number(values['per-client']) * 50; // the last run's requests (runP8's 50 clients)
        // Per thread (the main thread's tid is the pid; workers and libuv's pool are all named `node`).
        const rows = [...after].map(([tid, t]) => ({ tid, ...t, used: t.ms - (before.get(tid)?.ms ?? 0) }));
        for (const t of rows.sort((a, b) => b.used - a.used))
          if (t.used / requests > 0.005)
            console.log(
              `${t.tid === String(pid) ? 'main' : t.tid} ${t.name} nice ${t.nice}`.padEnd(34),
              `${(t.used / requests).toFixed(3)} ms/request`,
            );
        await s.stop();
      },
    };
  },
});
console.log(JSON.stringify({ p95: result.p95, cpu: result.cpuMsPerRequest, requests: requests }));
