// Preload for a server under measurement: every 500 ms appends one JSON line per isolate to
// $MEM_PARTS_OUT.<pid> — thread id, process.memoryUsage() parts (main thread: rss, heapTotal,
// heapUsed, external, arrayBuffers) and v8.getHeapSpaceStatistics() (committed / used per space).
//   BENCH_SERVER_ENV='MALLOC_ARENA_MAX=2 MEM_PARTS_OUT=/tmp/mp NODE_OPTIONS=--require=$PWD/bench/probe/mem-parts.cjs'
// Pair with bench/probe/smaps-peak.mjs (mappings at the RSS peak).
const v8 = require('node:v8');
const fs = require('node:fs');
const { threadId } = require('node:worker_threads');

const out = process.env.MEM_PARTS_OUT && `${process.env.MEM_PARTS_OUT}.${process.pid}`;
if (out) {
  const mb = (n) => Math.round(n / 1e5) / 10;
  const t = setInterval(() => {
    const m = threadId === 0 ? process.memoryUsage() : { ...v8.getHeapStatistics(), rss: 0 };
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ''), [mb(s.space_size), mb(s.space_used_size)]]),
    );
    const line = {
      t: Date.now(),
      tid: threadId,
      rss: mb(m.rss),
      heapTotal: mb(m.heapTotal ?? m.total_heap_size),
      heapUsed: mb(m.heapUsed ?? m.used_heap_size),
      external: mb(m.external ?? m.external_memory),
      arrayBuffers: mb(m.arrayBuffers ?? 0),
      malloced: mb(v8.getHeapStatistics().malloced_memory),
      spaces,
    };
    fs.appendFileSync(out, `${JSON.stringify(line)}\n`);
  }, 500);
  t.unref();
}
