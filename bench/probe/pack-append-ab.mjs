// PackStore appends of SZ bytes with a receive-like gap (GAP ms of main-thread spin) before each,
// two builds in alternating runs: per-append latency (append → durable) and wall per instance.
//   A=/path/to/build-a/dist B=/path/to/build-b/dist SZ=525632 N=400 GAP=2 node bench/probe/pack-append-ab.mjs [pairs]
// (session 19: session 16's zero-fill against no zeros for large records, issue 21 P1)
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const builds = [
  ['A', await import(join(process.env.A, 'archive/pack/pack-store.js'))],
  ['B', await import(join(process.env.B, 'archive/pack/pack-store.js'))],
];
const SZ = Number(process.env.SZ || 525632);
const N = Number(process.env.N || 400);
const GAP = Number(process.env.GAP || 2);
const payload = Buffer.alloc(SZ, 7);
const spin = (ms) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

async function run(name, mod) {
  const dir = mkdtempSync('/tmp/pack-append-ab-');
  const packs = new mod.PackStore(dir, true);
  let appendMs = 0;
  const t0 = performance.now();
  try {
    for (let i = 0; i < N; i++) {
      await new Promise((r) => setTimeout(r, 0));
      spin(GAP);
      const a = performance.now();
      await packs.append(payload, { sop: `1.${i}`, source: 'probe' });
      appendMs += performance.now() - a;
    }
  } finally {
    packs.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const ms = performance.now() - t0;
  return { name, perInst: +(ms / N).toFixed(3), appendPerInst: +(appendMs / N).toFixed(3) };
}

for (let r = 0; r < Number(process.argv[2] || 6); r++)
  for (const [n, m] of r % 2 ? [...builds].reverse() : builds) {
    execSync('sync');
    console.log(JSON.stringify(await run(n, m)));
  }
