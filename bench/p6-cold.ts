/**
 * The cold WADO-RS retrieve: what the first retrieve of CT400 after a server start (P6's single
 * retrieve in a `--runs 1` round) costs against the ones after it, and where it goes.
 *   node --import tsx bench/p6-cold.ts [--entry=dist/cli/main.js] [--trials=1] [--retrieves=3]
 *     [--wait-ms=0] [--trace-ms=0] [--p1] [--orthanc] [--cache=DIR] [--cpu-prof=DIR] [--node-arg=X]
 *     [--server-arg=X] [--show-output] [--gap-ms=0] [--thread-totals]
 * Each trial does what P6 does: STOW CT400 into a fresh server, stop it, start a new one on that
 * folder, wait for the bridge to be idle (bench/workloads/context.ts bridgeIdle), then retrieve
 * (--wait-ms later). --p1 first stores CT400 with storescu into another, throwaway server (P1).
 * Per retrieve: wall, the server's CPU from /proc/<pid>/task/<tid>/schedstat (ns on the CPU, all
 * threads; the main thread apart; the busiest other thread), bytes it read from the disk
 * (/proc/<pid>/io read_bytes: page-cache misses) and the client's CPU. --trace-ms: per-thread CPU
 * every 100 ms after the bridge is idle. Medians by retrieve number over the trials at the end.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retrieveStudy, stow } from './dicomweb.js';
import { ensureDataset } from './generate.js';
import { keepAliveAgent } from './http-client.js';
import { fileParts } from './multipart.js';
import { bridgeFactory, orthancFactory, type RunningServer, type ServerFactory } from './servers.js';
import { storescu } from './storescu.js';
import { bridgeIdle, manifestFiles } from './workloads/context.js';

const flag = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const has = (name: string): boolean => process.argv.includes(`--${name}`);
const all = (name: string): string[] =>
  process.argv.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));

const trials = Number(flag('trials') ?? 1);
const retrieves = Number(flag('retrieves') ?? 3);
const waitMs = Number(flag('wait-ms') ?? 0);
const traceMs = Number(flag('trace-ms') ?? 0);
/** Pause between retrieves (e.g. 11000: longer than the SlabPool keeps spare slabs, DEFAULT_SPARE_IDLE_MS). */
const gapMs = Number(flag('gap-ms') ?? 0);
const profDir = flag('cpu-prof');
const nodeArgs = [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...all('node-arg')];
const manifest = ensureDataset('CT400', { cacheDir: flag('cache') });
const studyUid = manifest.entries[0]!.studyUid;

/** ms on the CPU of each thread of `pid` (schedstat), by "name/tid". */
const threads = (pid: number): Map<string, number> => {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out.set(`${name}/${tid}`, ns / 1e6);
    } catch {
      // ended
    }
  }
  return out;
};
const deltas = (a: Map<string, number>, b: Map<string, number>): [string, number][] =>
  [...b].map(([n, ms]) => [n, ms - (a.get(n) ?? 0)] as [string, number]).sort((x, y) => y[1] - x[1]);
const sum = (xs: [string, number][]): number => xs.reduce((s, [, ms]) => s + ms, 0);
const show = (xs: [string, number][]): string =>
  xs
    .filter(([, ms]) => ms >= 1)
    .map(([n, ms]) => `${n} ${ms.toFixed(0)}`)
    .join(', ');
/** Bytes the process made the kernel fetch from the block device. */
const readBytes = (pid: number): number => {
  const m = /read_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const root = mkdtempSync(join(tmpdir(), 'p6-cold-'));
const agent = keepAliveAgent();
const factory: ServerFactory = has('orthanc')
  ? orthancFactory()
  : bridgeFactory({ entry: flag('entry'), nodeArgs, extraArgs: all('server-arg') });
const started = new Set<RunningServer>();
const startOn = async (dir: string): Promise<RunningServer> => {
  const s = await factory.start(dir);
  started.add(s);
  return s;
};
const stop = async (s: RunningServer): Promise<void> => {
  await s.stop();
  started.delete(s);
};

interface Figures {
  server: number;
  main: number;
  other: number;
  ms: number;
}
const byRetrieve: Figures[][] = [];
/** CPU of the thread started last (in P6: the audit projection thread, started by the first audited request). */
const newest: number[] = [];
const tails: number[] = [];

try {
  for (let trial = 1; trial <= trials; trial++) {
    if (has('p1')) {
      const s = await startOn(mkdtempSync(join(root, 'p1-')));
      const r = await storescu(
        s.dimse,
        manifest.entries.map((e) => e.file),
        manifest.dir,
      );
      console.log(`P1-like store: ${r.ms.toFixed(0)} ms, exit ${r.code}`);
      await stop(s);
    }
    const dir = mkdtempSync(join(root, 'ct400-'));
    const loader = await startOn(dir);
    const stored = await stow(loader.dicomWebUrl, fileParts(manifestFiles(manifest)), { agent });
    await stop(loader);
    const server = await startOn(dir);
    const t = performance.now();
    const t0 = threads(server.pid);
    await bridgeIdle(server);
    console.log(
      `trial ${trial}: stored ${stored.stored}; bridge idle ${(performance.now() - t).toFixed(0)} ms after start, CPU ${sum(deltas(t0, threads(server.pid))).toFixed(0)} ms (at monotonic µs ${process.hrtime.bigint() / 1000n})`,
    );
    if (traceMs > 0 || waitMs > 0) {
      const w0 = threads(server.pid);
      let prev = w0;
      const until = performance.now() + Math.max(traceMs, waitMs);
      while (performance.now() < until) {
        await new Promise((r) => setTimeout(r, traceMs > 0 ? 100 : until - performance.now()));
        const now = threads(server.pid);
        if (traceMs > 0) {
          const d = show(deltas(prev, now));
          if (d) console.log(`  +${(performance.now() - t).toFixed(0)} ms: ${d}`);
        }
        prev = now;
      }
      const tail = deltas(w0, prev);
      tails.push(sum(tail));
      console.log(`  after idle, before retrieving: server CPU ${sum(tail).toFixed(0)} ms (${show(tail.slice(0, 4))})`);
    }
    for (let i = 0; i < retrieves; i++) {
      if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      const th = threads(server.pid);
      const rb0 = readBytes(server.pid);
      const u0 = process.cpuUsage();
      const us0 = process.hrtime.bigint() / 1000n;
      const r = await retrieveStudy(server.dicomWebUrl, studyUid, agent);
      const us1 = process.hrtime.bigint() / 1000n;
      const u = process.cpuUsage(u0);
      const d = deltas(th, threads(server.pid));
      const main = d.find(([n]) => n.endsWith(`/${server.pid}`))?.[1] ?? 0;
      const others = d.filter(([n]) => !n.endsWith(`/${server.pid}`));
      const f: Figures = { server: sum(d), main, other: others[0]?.[1] ?? 0, ms: r.ms };
      (byRetrieve[i] ??= []).push(f);
      console.log(
        `  retrieve ${i + 1}: ${r.ms.toFixed(0)} ms wall (first byte ${r.firstByteMs.toFixed(0)}), ${r.parts} parts, server CPU ${f.server.toFixed(0)} ms = ${(f.server / (r.bytes / 1e6)).toFixed(2)} ms/MB (main ${main.toFixed(0)}; others ${show(others.slice(0, 5))}), disk read ${((readBytes(server.pid) - rb0) / 1e6).toFixed(1)} MB, client CPU ${((u.user + u.system) / 1000).toFixed(0)} ms; monotonic µs ${us0}–${us1}`,
      );
    }
    const totals = [...threads(server.pid)];
    const last = totals.sort((a, b) => Number(b[0].split('/')[1]) - Number(a[0].split('/')[1]))[0]!;
    newest.push(last[1]);
    console.log(`  thread started last: ${last[0]} ${last[1].toFixed(0)} ms on the CPU since its start`);
    if (has('thread-totals'))
      console.log(`  thread totals (ms on the CPU since their start): ${show(totals.sort((a, b) => b[1] - a[1]))}`);
    if (has('show-output')) console.log(`server output:\n${server.output()}`);
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `thread started last: median ${median(newest).toFixed(0)} ms; all: ${newest.map((x) => x.toFixed(0)).join(' ')}`,
  );
  if (tails.length) console.log(`after idle, before retrieving: median server CPU ${median(tails).toFixed(0)} ms`);
  for (const [i, fs] of byRetrieve.entries())
    console.log(
      `retrieve ${i + 1}: median server CPU ${median(fs.map((f) => f.server)).toFixed(0)} ms (main ${median(fs.map((f) => f.main)).toFixed(0)}, busiest other ${median(fs.map((f) => f.other)).toFixed(0)}), wall ${median(fs.map((f) => f.ms)).toFixed(0)} ms; all: ${fs.map((f) => f.server.toFixed(0)).join(' ')}`,
    );
} finally {
  for (const s of [...started]) await s.stop();
  agent.destroy();
  rmSync(root, { recursive: true, force: true });
}
