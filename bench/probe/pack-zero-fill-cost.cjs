// Pack append + fdatasync of N records of SZ bytes into one file, two ways, alternating runs:
//   grow — each append extends the file (its fdatasync also commits the new size, ext4 journal);
//   prep — as PackStore.prepareAhead: 8 MB of zeros written and synced ahead, refilled at half.
// Per-instance wall ms (sync calls, one thread) and the share of it spent on the zeros.
//   SZ=525632 N=400 node bench/probe/pack-zero-fill-cost.cjs [pairs]   (session 19, issue 21 P1)
const fs = require('node:fs');
const path = require('node:path');
const { execSync } = require('node:child_process');

const SZ = Number(process.env.SZ || 525632);
const N = Number(process.env.N || 400);
const PREP = 8 << 20;
const rec = Buffer.alloc(SZ, 7);
const Z = Buffer.alloc(1 << 20);

function run(mode, dir) {
  const f = path.join(dir, 'seg.pack');
  const fd = fs.openSync(f, 'wx');
  let end = 0;
  let prepared = 0;
  let zeroMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    fs.writeSync(fd, rec, 0, SZ, end);
    end += SZ;
    fs.fdatasyncSync(fd);
    if (mode === 'prep' && prepared - end < PREP / 2) {
      const z0 = performance.now();
      const to = end + PREP;
      for (let at = Math.max(prepared, end); at < to; ) at += fs.writeSync(fd, Z, 0, Math.min(Z.length, to - at), at);
      prepared = to;
      fs.fdatasyncSync(fd);
      zeroMs += performance.now() - z0;
    }
  }
  const ms = performance.now() - t0;
  fs.closeSync(fd);
  fs.rmSync(f);
  return { mode, sz: SZ, perInst: +(ms / N).toFixed(3), zeroPerInst: +(zeroMs / N).toFixed(3) };
}

const dir = fs.mkdtempSync('/tmp/pack-zero-fill-');
try {
  for (let r = 0; r < Number(process.argv[2] || 4); r++)
    for (const m of r % 2 ? ['prep', 'grow'] : ['grow', 'prep']) {
      execSync('sync');
      console.log(JSON.stringify(run(m, dir)));
    }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
