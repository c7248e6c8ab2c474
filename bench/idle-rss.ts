/**
 * Idle RSS of `serve --auth none --demo` (as `npm start`), for A/B work on memory: one spawned
 * server per run, waited on until it logged "heap reduced while idle" and its RSS is flat, then
 * RSS split by /proc/<pid>/smaps_rollup (anonymous vs file-backed), the thread count, and the CPU
 * the idle server spends over the next 30 s.
 *   node --import tsx bench/idle-rss.ts [--entry dist/cli/main.js] [--runs 1] [--no-demo] [--env K=V]...
 * Run base and head in the same minutes: RSS does not depend on load, but start-up order does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestServer } from '../test/support/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rollupKb(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** utime + stime of the whole process in ms (USER_HZ 100). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const mb = (kb: number | undefined) => ((kb ?? 0) / 1024).toFixed(1);

async function measure(entry: string | undefined, demo: boolean, env: NodeJS.ProcessEnv): Promise<void> {
  const server = await startTestServer(
    { 'log-level': 'debug' },
    { spawn: { entry, args: demo ? ['--demo'] : [], env, startTimeoutMs: 120_000 } },
  );
  try {
    const started = Date.now();
    while (!server.output().includes('heap reduced while idle') && Date.now() - started < 120_000) await sleep(1000);
    // V8's sweeper releases the pages of the last collection shortly after it: wait until flat.
    let last = rollupKb(server.pid).get('Rss') ?? 0;
    for (let i = 0; i < 20; i++) {
      await sleep(1000);
      const now = rollupKb(server.pid).get('Rss') ?? 0;
      if (Math.abs(now - last) < 256) break;
      last = now;
    }
    const r = rollupKb(server.pid);
    const threads = readdirSync(`/proc/${server.pid}/task`).length;
    const idleAfterS = (Date.now() - started) / 1000;
    // What an idle server spends (the idle heap reducer's timer included), over 30 s.
    const cpu0 = cpuMs(server.pid);
    await sleep(30_000);
    console.log(
      `idle after ${idleAfterS.toFixed(0)} s: RSS ${mb(r.get('Rss'))} MB ` +
        `(anonymous ${mb(r.get('Anonymous'))}, file ${mb((r.get('Rss') ?? 0) - (r.get('Anonymous') ?? 0))}), ` +
        `${threads} threads; CPU over the next 30 s ${cpuMs(server.pid) - cpu0} ms, RSS then ${mb(rollupKb(server.pid).get('Rss'))} MB`,
    );
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      entry: { type: 'string' },
      runs: { type: 'string', default: '1' },
      'no-demo': { type: 'boolean', default: false },
      env: { type: 'string', multiple: true, default: [] },
    },
  });
  // e.g. --env MALLOC_ARENA_MAX=8 to compare glibc's arena settings.
  const env = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  for (let i = 0; i < Number(values.runs); i++)
    await measure(values.entry ? resolve(values.entry) : undefined, !values['no-demo'], env);
}

await main();
