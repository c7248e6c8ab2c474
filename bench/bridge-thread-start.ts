/**
 * How long the bridge's sync thread (config `bridge.thread`) takes to start, from the sources
 * (the server in this process, as the tests run it: the thread loads its .ts modules through
 * tsx) or from dist/ (`node dist/cli/main.js serve` in a child process): one study is STOWed
 * and the thread's `ready` (modules loaded, connections open) and the ImagingStudy are timed.
 *
 *   node --import tsx bench/bridge-thread-start.ts [src|dist] [runs]
 */
import { readFileSync } from 'node:fs';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { imagingStudies, stow } from '../test/support/http.js';
import { startTestServer } from '../test/support/server.js';

const from = process.argv[2] === 'dist' ? 'dist' : 'src';
const runs = Number(process.argv[3] ?? 3);
/** `off`: the sync in process (for the RSS beside it, from dist). */
const thread = process.argv[4] !== 'off';
const CONFIG = { bridge: { thread, debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 } };

/** VmRSS and VmHWM of a process (MB, Linux). */
function rss(pid: number): { rssMB: number; hwmMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMB: Math.round(kb('VmRSS') / 1024), hwmMB: Math.round(kb('VmHWM') / 1024) };
}

for (let run = 1; run <= runs; run++) {
  const lines: string[] = [];
  const server =
    from === 'dist'
      ? await startTestServer({ 'log-level': 'debug' }, { configFile: CONFIG, spawn: true })
      : await startTestServer({}, { configFile: CONFIG, logTo: { write: (l: string) => lines.push(l) } });
  try {
    const study = `${ROOT}.79.${process.pid}.${run}`;
    await new Promise((r) => setTimeout(r, 1000));
    const before = 'pid' in server ? rss(server.pid as number) : undefined;
    const t0 = performance.now();
    if ((await stow(server.url, [ctInstance({ study, series: `${study}.1`, sop: `${study}.1.1` })])) !== 200)
      throw new Error('STOW failed');
    let studyMs = -1;
    while (performance.now() - t0 < 60_000) {
      if ((await imagingStudies(`${server.url}/fhir`, study)).length > 0) {
        studyMs = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    // Ten more studies through the running thread, then the process's RSS.
    for (let i = 0; i < 10; i++) {
      const more = `${study}.${i + 2}`;
      await stow(server.url, [ctInstance({ study: more, series: `${more}.1`, sop: `${more}.1.1` })]);
    }
    const last = `${study}.11`;
    while ((await imagingStudies(`${server.url}/fhir`, last)).length === 0) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, Number(process.env.SETTLE_MS ?? 2000)));
    const after = 'pid' in server ? rss(server.pid as number) : undefined;
    const out = 'output' in server ? (server.output as () => string)().split('\n') : lines;
    const ready = out.find((l) => l.includes('the bridge sync thread started'));
    const f = ready ? (JSON.parse(ready) as Record<string, number>) : {};
    const { startMs, loadMs, openMs, cpuMs, processCpuMs, heapUsed, heapTotal } = f;
    const mb = (b: number | undefined) => (b === undefined ? undefined : Math.round(b / 1e6));
    const heapMB = mb(heapUsed);
    const heapTotalMB = mb(heapTotal);
    console.log(
      JSON.stringify({
        from,
        thread,
        run,
        startMs,
        loadMs,
        openMs,
        cpuMs,
        processCpuMs,
        heapMB,
        heapTotalMB,
        stowToImagingStudyMs: Math.round(studyMs),
        ...(before && after ? { rssBeforeMB: before.rssMB, rssAfterMB: after.rssMB, hwmMB: after.hwmMB } : {}),
      }),
    );
  } finally {
    await server.stop();
  }
}
