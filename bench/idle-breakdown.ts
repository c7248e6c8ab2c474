/**
 * Idle RSS of one build the way test/idle-memory.e2e.test.ts measures it (`serve --auth none --demo
 * --log-level debug`, MALLOC_ARENA_MAX=2, the package-trace preload), with a breakdown, for
 * bisecting issue 21's drift. Per run: RSS when the server logs "heap reduced while idle", every
 * second for 60 s after (the test's window: it passes at the first reading below its bound), and at
 * 30 s /proc/<pid>/smaps by kind of mapping ([heap], anonymous < 1 MB = V8's pages, anonymous
 * ≥ 1 MB = second arena and stacks, file-backed by file), the threads by name and, with --v8, the
 * main isolate's heap spaces (preload bench/probe/idle-v8-stats.mjs, read with SIGUSR2).
 *   node --import tsx bench/idle-breakdown.ts --entry /tmp/x/dist/cli/main.js --label x --runs 3 [--v8] [--out f.jsonl]
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestServer } from '../test/support/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number) => Math.round(kb / 102.4) / 10;

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** RSS in kB by kind of mapping. */
function smapsBreakdown(pid: number): Record<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, kb: number) => out.set(k, (out.get(k) ?? 0) + kb);
  let kind = '';
  let sizeKb = 0;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1]!.trim();
      kind = path.startsWith('/') ? `file ${basename(path)}` : path === '' ? 'anon' : path;
      continue;
    }
    const size = /^Size:\s+(\d+) kB/.exec(line);
    if (size) sizeKb = Number(size[1]);
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && Number(rss[1]) > 0) {
      const kb = Number(rss[1]);
      add(kind === 'anon' ? (sizeKb < 1024 ? 'anon <1MB' : 'anon >=1MB') : kind, kb);
      if (kind.startsWith('file ')) add('file (all)', kb);
    }
  }
  return Object.fromEntries([...out].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, mb(v)]));
}

function threads(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((t) => readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim());
}

async function measure(entry: string, v8Stats: boolean): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'ib-idle-'));
  const v8File = join(dir, 'v8.jsonl');
  const nodeArgs = ['--import', new URL('../test/support/trace-packages.mjs', import.meta.url).href];
  if (v8Stats) nodeArgs.push('--import', new URL('./probe/idle-v8-stats.mjs', import.meta.url).href);
  const server = await startTestServer(
    { 'log-level': 'debug' },
    {
      spawn: {
        entry,
        args: ['--demo'],
        startTimeoutMs: 120_000,
        nodeArgs,
        env: { TRACE_PACKAGES_FILE: join(dir, 'packages.txt'), MALLOC_ARENA_MAX: '2', IDLE_V8_STATS_FILE: v8File },
      },
    },
  );
  try {
    const started = Date.now();
    while (!server.output().includes('heap reduced while idle') && Date.now() - started < 120_000) await sleep(250);
    const idleAfterS = Math.round((Date.now() - started) / 1000);
    const series: number[] = [];
    let breakdown: Record<string, number> = {};
    let threadNames: string[] = [];
    for (let s = 0; s <= 60; s++) {
      series.push(mb(rssKb(server.pid)));
      if (s === 30) {
        breakdown = smapsBreakdown(server.pid);
        threadNames = threads(server.pid);
        if (v8Stats) process.kill(server.pid, 'SIGUSR2');
      }
      if (s < 60) await sleep(1000);
    }
    let v8: unknown;
    if (v8Stats) {
      const line = readFileSync(v8File, 'utf8').trim().split('\n').at(-1);
      const j = line ? JSON.parse(line) : undefined;
      if (j)
        v8 = {
          memory: Object.fromEntries(Object.entries(j.memory).map(([k, v]) => [k, mb((v as number) / 1024)])),
          spaces: Object.fromEntries(
            Object.entries(j.spaces).map(([k, v]) => {
              const s = v as { size: number; used: number; physical: number };
              return [k, `${mb(s.physical / 1024)}/${mb(s.used / 1024)}`];
            }),
          ),
        };
    }
    const rounds = server.output().split('heap reduced while idle').length - 1;
    return {
      idleAfterS,
      atIdle: series[0],
      at30: series[30],
      at60: series[60],
      min: Math.min(...series),
      max: Math.max(...series),
      firstBelow150: series.findIndex((x) => x < 150),
      rounds,
      threads: threadNames.length,
      threadNames: threadNames.join(','),
      breakdown,
      v8,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({
  options: {
    entry: { type: 'string', default: 'dist/cli/main.js' },
    label: { type: 'string', default: '' },
    runs: { type: 'string', default: '1' },
    v8: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
for (let i = 0; i < Number(values.runs); i++) {
  const result = {
    label: values.label,
    run: i + 1,
    at: new Date().toISOString(),
    ...(await measure(resolve(values.entry), values.v8)),
  };
  const line = JSON.stringify(result);
  console.log(line);
  if (values.out) appendFileSync(values.out, `${line}\n`);
}
