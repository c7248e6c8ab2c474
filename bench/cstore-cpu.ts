/**
 * CPU per C-STORE instance of our server, for A/B work on a busy machine (wall clock is noise
 * there): one spawned server, idle RSS after start (once its CPU is flat, + 15 s), then storescu sends the first N instances of
 * SMALL10K (or CT400) over A associations; server CPU (utime+stime of the whole process and of
 * its main thread) is read from /proc until the bridge has settled, with peak RSS (VmHWM).
 *   node --import tsx bench/cstore-cpu.ts [--entry dist/cli/main.js] [--count 2000] [--assoc 1]
 *        [--dataset SMALL10K|CT400] [--cpu-prof DIR] [--keep] [--env K=V]... [--node-arg ARG]...
 *        [--strace FILE]   (strace -f -y -T -tt of every server thread while storescu runs, into FILE;
 *                           env STRACE_EXPR=trace=pread64,pwrite64 limits it)
 *        [--pg-url URL]    (the index in a fresh database on the cluster at URL, on this machine:
 *                           its CPU and, with pg_stat_statements preloaded, statements: bench/pg-cost.ts)
 *        [--s3]            (blobs in s3rver, in this process: its CPU is this process's)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestS3 } from '../src/archive/blob/test-support.js';
import { ensureDataset } from './generate.js';
import { pgCost } from './pg-cost.js';
import { qidoInstanceCount, splitContiguous, storescu } from './storescu.js';
import { startTestServer } from '../test/support/server.js';

const TICK_MS = 10; // USER_HZ 100

function cpuMs(pid: number, tid?: number): number {
  const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** CPU ms of each thread of `pid` (the main thread as `main`, the others as `<name>:<tid>`). */
function threadCpuByName(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // Worker and pool threads are all named "node" here: keyed by name and thread id.
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const key = Number(tid) === pid ? 'main' : `${name}:${tid}`;
      out.set(key, (out.get(key) ?? 0) + cpuMs(pid, Number(tid)));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** Per-instance CPU by thread name between two snapshots (threads that ended in between are lost). */
function threadDelta(before: Map<string, number>, after: Map<string, number>, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ms] of after) {
    const d = ms - (before.get(name) ?? 0);
    if (d / n >= 0.01) out[name] = +(d / n).toFixed(3);
  }
  return out;
}

/** Bytes this process caused to be written to storage (/proc/<pid>/io write_bytes; page cache writeback included). */
function writeBytes(pid: number): number {
  const m = /^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

function statusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** strace attached to all threads of `pid` (it needs a moment to attach before the run starts). */
async function attachStrace(pid: number, out: string): Promise<ChildProcess> {
  const child = spawn(
    'strace',
    [
      '-f',
      '-y',
      '-T',
      '-tt',
      ...(process.env.STRACE_EXPR ? ['-e', process.env.STRACE_EXPR] : []),
      '-o',
      out,
      '-p',
      String(pid),
    ],
    { stdio: 'ignore' },
  );
  await sleep(2000);
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      entry: { type: 'string' },
      count: { type: 'string', default: '2000' },
      assoc: { type: 'string', default: '1' },
      dataset: { type: 'string', default: 'SMALL10K' },
      cache: { type: 'string' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      strace: { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
      'node-arg': { type: 'string', multiple: true, default: [] },
      'pg-url': { type: 'string' },
      s3: { type: 'boolean', default: false },
    },
  });
  const manifest = ensureDataset(values.dataset as 'SMALL10K' | 'CT400', { cacheDir: values.cache });
  const files = manifest.entries.slice(0, Number(values.count)).map((e) => e.file);
  const dir = mkdtempSync(join(tmpdir(), 'cstore-cpu-'));
  const nodeArgs = [
    ...values['node-arg'],
    ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`] : []),
  ];
  // e.g. --env MALLOC_ARENA_MAX=8 --node-arg=--max-semi-space-size=16 to compare start-up settings.
  const env = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const pg = values['pg-url'] ? await pgCost(values['pg-url']) : undefined;
  const s3 = values.s3 ? await startTestS3('ib-cstore') : undefined;
  const server = await startTestServer(
    {
      'data-dir': dir,
      ...(pg ? { database: pg.url } : {}),
      ...(s3 ? { 'blob-store': `s3://${s3.bucket}/run` } : {}),
    },
    {
      spawn: {
        entry: values.entry ? resolve(values.entry) : undefined,
        nodeArgs,
        env: { ...env, ...s3?.env },
        startTimeoutMs: 120_000,
      },
    },
  );
  try {
    // Idle: the start-up's background work done (CPU flat), then 15 s in which an idle server
    // may give memory back (src/core/heap-tuning.ts), as one left alone after start would.
    // With --cpu-prof the profiler threads never rest, so the CPU never goes flat: a fixed wait.
    if (values['cpu-prof']) await sleep(20_000);
    for (let before = cpuMs(server.pid); !values['cpu-prof']; ) {
      await sleep(1500);
      const now = cpuMs(server.pid);
      if (now - before <= 20) break;
      before = now;
    }
    await sleep(15_000);
    const idleRssMb = statusKb(server.pid, 'VmRSS') / 1024;
    server.resetPeakRss();
    const tracer = values.strace ? await attachStrace(server.pid, resolve(values.strace)) : undefined;
    await pg?.reset();
    const self0 = process.cpuUsage();
    const cpu0 = cpuMs(server.pid);
    const written0 = writeBytes(server.pid);
    const main0 = cpuMs(server.pid, server.pid);
    const threads0 = threadCpuByName(server.pid);
    const started = performance.now();
    const runs = await Promise.all(
      splitContiguous(files, Number(values.assoc)).map((s) =>
        storescu({ port: server.dicomPort, aet: 'IMGBRIDGE' }, s, manifest.dir),
      ),
    );
    const wallMs = performance.now() - started;
    if (tracer) {
      tracer.kill('SIGINT');
      await new Promise((r) => tracer.once('exit', r));
    }
    const atAck = cpuMs(server.pid);
    const threadsAtAck = threadCpuByName(server.pid);
    // Wait for the bridge: CPU flat for 1.5 s (with --cpu-prof the profiler threads never rest: 8 s).
    let last = atAck;
    if (values['cpu-prof']) {
      await sleep(8000);
      last = cpuMs(server.pid);
    }
    while (!values['cpu-prof']) {
      await sleep(1500);
      const now = cpuMs(server.pid);
      if (now - last <= 20) break;
      last = now;
    }
    const cpu = last - cpu0;
    const mainCpu = cpuMs(server.pid, server.pid) - main0;
    const threadsEnd = threadCpuByName(server.pid);
    const peakMb = server.peakRssKb() / 1024;
    const written = writeBytes(server.pid) - written0;
    const self = process.cpuUsage(self0);
    const pgRun = await pg?.read();
    const stored = await qidoInstanceCount(server.dicomweb);
    const n = files.length;
    if (pgRun)
      console.error(
        pgRun.top
          .filter((r) => r.calls >= n / 100)
          .map((r) => `${(r.calls / n).toFixed(3)}/inst  ${r.query}`)
          .join('\n'),
      );
    console.log(
      JSON.stringify({
        entry: values.entry ?? 'dist/cli/main.js',
        env: values.env,
        nodeArgs: values['node-arg'],
        n,
        assoc: Number(values.assoc),
        stored,
        exit: runs.map((r) => r.code),
        wallMs: Math.round(wallMs),
        window: [Math.round(performance.timeOrigin + started), Math.round(performance.timeOrigin + started + wallMs)],
        cpuMsPerInstanceAtAck: +((atAck - cpu0) / n).toFixed(3),
        cpuMsPerInstance: +(cpu / n).toFixed(3),
        mainThreadMsPerInstance: +(mainCpu / n).toFixed(3),
        diskWriteKbPerInstance: +(written / 1024 / n).toFixed(1),
        threadMsPerInstanceAtAck: threadDelta(threads0, threadsAtAck, files.length),
        threadMsPerInstance: threadDelta(threads0, threadsEnd, files.length),
        ...(pgRun
          ? {
              pgStatementsPerInstance: +(pgRun.calls / n).toFixed(2),
              pgStatementsPerInstanceBySchema: Object.fromEntries(
                [...pgRun.bySchema].map(([schema, calls]) => [schema, +(calls / n).toFixed(2)]),
              ),
              pgCpuMsPerInstance: +(pgRun.cpuMs / n).toFixed(3),
            }
          : {}),
        // This process: s3rver with --s3 (storescu is a child process of its own, not counted).
        benchCpuMsPerInstance: +((self.user + self.system) / 1000 / n).toFixed(3),
        idleRssMb: Math.round(idleRssMb),
        peakRssMb: Math.round(peakMb),
        endRssMb: Math.round(statusKb(server.pid, 'VmRSS') / 1024),
      }),
    );
  } finally {
    await server.stop();
    await s3?.stop();
    await pg?.drop();
    if (values.keep) console.log(`data kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
