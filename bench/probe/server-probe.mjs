/**
 * A diagnostic probe loaded into our server by the bench (`node --import <this file>`) when
 * IB_BENCH_PROBE names a folder (bench/workloads/p10-stroke.ts): it changes nothing the server does
 * and writes, when the server exits, <folder>/server-<pid>.json with
 * - every HTTP request whose client sent `x-probe-id`: the id, when the server's JS saw the
 *   request and finished the response (epoch ms, sub-ms), when it asked for its audit record and
 *   how long it waited for it (channel imagingbridge:audit-record-wait);
 * - event-loop delay (perf_hooks.monitorEventLoopDelay) per 100 ms bin: max and mean;
 * - GC pauses (PerformanceObserver 'gc'): start, duration, kind; and per GC the heap used before
 *   and after it (v8.GCProfiler), which tells the allocation between two GCs;
 * - per-thread CPU and run-queue wait every 100 ms (/proc/self/task/<tid>/schedstat, stat);
 * - cached-reader lookups (diagnostics channel imagingbridge:cached-reader) per 100 ms bin.
 * With IB_BENCH_PROBE_HEAP=1 also a sampling heap profile of what the main thread allocates
 * (collected objects included) from the first GET /api/stroke/assessment on:
 * <folder>/alloc-<pid>.heapprofile.
 * Plain JavaScript so that it loads into dist/ without a TypeScript loader. Linux only for threads.
 */
import { channel, subscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.IB_BENCH_PROBE;
const BIN_MS = 100;
const now = () => performance.timeOrigin + performance.now();

// Worker threads inherit `--import`: the probe runs in the main thread only.
if (dir && isMainThread) {
  const requests = [];
  const open = new WeakMap();
  let heap;
  if (process.env.IB_BENCH_PROBE_HEAP === '1') {
    heap = new Session();
    heap.connect();
  }
  let sampling = false;
  subscribe('http.server.request.start', ({ request }) => {
    if (heap && !sampling && request.url?.startsWith('/api/stroke/assessment')) {
      sampling = true;
      heap.post('HeapProfiler.enable', () =>
        heap.post('HeapProfiler.startSampling', {
          samplingInterval: 16384,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        }),
      );
    }
    const id = request.headers['x-probe-id'];
    if (id) open.set(request, { id: String(id), start: now() });
  });
  subscribe('http.server.response.finish', ({ request }) => {
    const r = open.get(request);
    if (r) requests.push([r.id, r.start, now(), r.auditAt ?? 0, r.auditMs ?? 0]);
  });
  // The handler's wait for its durable audit record (src/http/security/audit-hook.ts).
  subscribe('imagingbridge:audit-record-wait', ({ request, startedAt, ms }) => {
    const r = open.get(request);
    if (r) {
      r.auditAt = performance.timeOrigin + startedAt;
      r.auditMs = ms;
    }
  });

  const bins = [];
  let hits = 0;
  let misses = 0;
  channel('imagingbridge:cached-reader').subscribe((m) => {
    if (m.hit) hits++;
    else misses++;
  });

  const gcs = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcs.push([performance.timeOrigin + e.startTime, e.duration, e.detail?.kind ?? e.kind]);
  }).observe({ entryTypes: ['gc'] });

  const gcProfiler = new GCProfiler();
  gcProfiler.start();

  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();

  const threads = [];
  const names = new Map();
  const niceOf = (tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };
  const sampleThreads = () => {
    let tids = [];
    try {
      tids = readdirSync('/proc/self/task');
    } catch {
      return [];
    }
    const out = [];
    for (const tid of tids) {
      try {
        const nice = niceOf(tid);
        if (!names.has(tid))
          names.set(tid, { comm: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), nice, first: now() });
        // A thread that lowers its priority does so after it starts: keep the highest nice seen.
        names.get(tid).nice = Math.max(names.get(tid).nice, nice);
        const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        out.push([Number(tid), Math.round(run / 1e3), Math.round(wait / 1e3)]); // µs
      } catch {
        // the thread ended
      }
    }
    return out;
  };

  const timer = setInterval(() => {
    bins.push([now(), eld.max / 1e6, eld.mean / 1e6, hits, misses]);
    eld.reset();
    hits = 0;
    misses = 0;
    threads.push([now(), sampleThreads()]);
  }, BIN_MS);
  timer.unref();

  // The profile is taken at SIGTERM (the inspector does not answer in 'exit'); the server's own handler runs too.
  process.once('SIGTERM', () => {
    if (sampling)
      heap.post('HeapProfiler.stopSampling', (err, r) => {
        if (!err) writeFileSync(join(dir, `alloc-${process.pid}.heapprofile`), JSON.stringify(r.profile));
      });
  });

  process.on('exit', () => {
    // In the order of the GCs (as `gcs`); cost in µs → ms.
    const heap = (gcProfiler.stop()?.statistics ?? []).map((g) => [
      g.gcType,
      g.cost / 1e3,
      g.beforeGC.heapStatistics.usedHeapSize,
      g.afterGC.heapStatistics.usedHeapSize,
    ]);
    writeFileSync(
      join(dir, `server-${process.pid}.json`),
      JSON.stringify({ pid: process.pid, requests, bins, gcs, heap, threads, names: [...names] }),
    );
  });
}
