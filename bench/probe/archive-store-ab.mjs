// Archive.store of real instances one after another (one association's pace, no transport),
// SQLite index and packs in a temporary data directory: two builds in alternating runs, per
// instance store latency (receive → answer) p50 / mean and process CPU per instance.
//   A=/path/to/build-a/dist B=/path/to/build-b/dist DATA=bench/.cache/SMALL10K-seed1456-v1 N=1000 [CONC=1] \
//     node bench/probe/archive-store-ab.mjs [pairs]
// (session 21, issue 21: the index commit overlapping the pack's fdatasync)
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const N = Number(process.env.N || 1000);
/** Stores in flight at once (associations); 1: one after another. */
const CONC = Number(process.env.CONC || 1);
const files = [];
// The dataset's .dcm files in name order, in DATA itself (CT400) or its numbered folders (SMALL10K).
const collect = (dir) => {
  for (const n of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (files.length >= N) return;
    if (n.isDirectory() && /^\d+$/.test(n.name)) collect(join(dir, n.name));
    else if (n.isFile() && n.name.endsWith('.dcm')) files.push(readFileSync(join(dir, n.name)));
  }
};
collect(process.env.DATA);
const load = async (dist) => ({
  Archive: (await import(join(dist, 'archive/archive.js'))).Archive,
  ArchiveBlobStore: (await import(join(dist, 'archive/archive-blob-store.js'))).ArchiveBlobStore,
  SqliteIndex: (await import(join(dist, 'archive/sqlite/sqlite-index.js'))).SqliteIndex,
});
const builds = [
  ['A', await load(process.env.A)],
  ['B', await load(process.env.B)],
];
async function* one(buf) {
  yield buf;
}
async function run(name, m) {
  const dir = mkdtempSync('/tmp/archive-store-ab-');
  const archive = new m.Archive(new m.SqliteIndex(join(dir, 'index.sqlite')), new m.ArchiveBlobStore(dir, { packWriter: true }), {
    duplicatePolicy: 'keep-newest',
    bulkDataThreshold: 1024,
    minFreeBytes: 0,
  });
  const lat = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < files.length) {
      const f = files[next++];
      await new Promise((r) => setImmediate(r));
      const a = performance.now();
      const o = await archive.store(one(f), { source: 'probe' });
      lat.push(performance.now() - a);
      if (o.kind !== 'stored') throw new Error(o.kind);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONC }, lane));
  } finally {
    await archive.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const wall = performance.now() - t0;
  const c = process.cpuUsage(cpu0);
  lat.sort((x, y) => x - y);
  const r = (x) => +x.toFixed(3);
  return {
    name,
    wallPerInst: r(wall / files.length),
    p50: r(lat[Math.floor(lat.length / 2)]),
    mean: r(lat.reduce((s, x) => s + x, 0) / lat.length),
    cpuPerInst: r((c.user + c.system) / 1000 / files.length),
  };
}
const pairs = Number(process.argv[2] || 5);
for (let i = 0; i < pairs; i++) {
  const order = i % 2 ? [...builds].reverse() : builds;
  for (const [name, m] of order) console.log(JSON.stringify({ pair: i, ...(await run(name, m)) }));
}
