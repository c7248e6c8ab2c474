/**
 * Where P6's time goes: the WADO-RS retrieve of CT400 from two builds of ours and from Orthanc,
 * interleaved request by request on one data load each. Per request: the client's wall time,
 * the server's CPU (utime + stime of the whole process and of its main thread, /proc), the client's own CPU
 * (process.cpuUsage: HTTP parsing and multipart counting) and the response's chunking
 * (chunks seen by the client, Transfer-Encoding). Medians per side at the end.
 *   node --import tsx bench/p6-probe.ts <entry A> [entry B | -] [rounds] [--no-orthanc] [--no-count] [--cpu-prof=DIR] [--cache=DIR]
 * --node-arg=X passes X to our servers' node (e.g. --node-arg=--trace-gc; --show-output prints their output).
 * --cpu-prof=DIR starts our servers with --cpu-prof (summarise with bench/cpu-profile.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundaryOf, fileParts, MultipartCounter } from './multipart.js';
import { httpCall, keepAliveAgent } from './http-client.js';
import { RETRIEVE_ACCEPT, stow } from './dicomweb.js';
import { ensureDataset } from './generate.js';
import { bridgeFactory, orthancFactory, type RunningServer, type ServerFactory } from './servers.js';
import { bridgeIdle, manifestFiles } from './workloads/context.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const withOrthanc = !process.argv.includes('--no-orthanc');
/** --no-count: the client only receives (no multipart counting; parts not checked): the counter's share of client CPU. */
const count = !process.argv.includes('--no-count');
const profDir = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
const nodeArgs = [
  ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
  ...process.argv.filter((a) => a.startsWith('--node-arg=')).map((a) => a.slice('--node-arg='.length)),
];
const [entryA, entryB, roundsArg] = args;
const rounds = Number(roundsArg ?? 6);

/** utime + stime of a process (or with `tid`, of one of its threads) in ms (USER_HZ 100). */
const ticksMs = (pid: number, tid?: number): number => {
  const text = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

/** CPU ms per thread (name/tid). */
const threadTicks = (pid: number): Map<string, number> => {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(`${name}/${tid}`, ticksMs(pid, Number(tid)));
    } catch {
      // the thread ended
    }
  }
  return out;
};

const cacheDir = process.argv.find((a) => a.startsWith('--cache='))?.slice('--cache='.length);
const manifest = ensureDataset('CT400', { cacheDir });
const studyUid = manifest.entries[0]!.studyUid;
const root = mkdtempSync(join(tmpdir(), 'p6-probe-'));
const factories: [string, ServerFactory][] = [['A', bridgeFactory({ entry: entryA, nodeArgs })]];
if (entryB && entryB !== '-') factories.push(['B', bridgeFactory({ entry: entryB, nodeArgs })]);
if (withOrthanc) factories.push(['Orthanc', orthancFactory()]);

const servers = new Map<string, RunningServer>();
const agent = keepAliveAgent();
try {
  for (const [label, factory] of factories) {
    const server = await factory.start(join(root, label));
    servers.set(label, server);
    const stored = await stow(server.dicomWebUrl, fileParts(manifestFiles(manifest)), { agent });
    await bridgeIdle(server);
    console.log(`${label}: stored ${stored.stored}`);
  }
  const rows = new Map<
    string,
    { ms: number[]; server: number[]; main: number[]; client: number[]; clientSys: number[]; chunks: number[] }
  >();
  for (let r = 0; r < rounds; r++) {
    const order = [...servers.keys()];
    if (r % 2) order.reverse();
    for (const label of order) {
      const s = servers.get(label)!;
      let counter: MultipartCounter | undefined;
      let chunks = 0;
      let te = '';
      const c0 = ticksMs(s.pid);
      const m0 = ticksMs(s.pid, s.pid);
      const t0 = threadTicks(s.pid);
      const u0 = process.cpuUsage();
      const res = await httpCall(`${s.dicomWebUrl}/studies/${studyUid}`, {
        headers: { Accept: RETRIEVE_ACCEPT },
        agent,
        onHeaders: (_status, headers) => {
          te = String(headers['transfer-encoding'] ?? `length ${headers['content-length']}`);
          counter = new MultipartCounter(boundaryOf(headers['content-type'])!);
        },
        sink: (chunk) => {
          chunks++;
          if (count) counter!.push(chunk);
        },
      });
      const u = process.cpuUsage(u0);
      const server = ticksMs(s.pid) - c0;
      const mainThread = ticksMs(s.pid, s.pid) - m0;
      const byThread = [...threadTicks(s.pid)]
        .map(([name, ms]) => [name, ms - (t0.get(name) ?? 0)] as const)
        .filter(([, ms]) => ms > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([name, ms]) => `${name} ${ms}`)
        .join(', ');
      const client = (u.user + u.system) / 1000;
      if (count && counter!.parts !== manifest.entries.length) throw new Error(`${label}: ${counter!.parts} parts`);
      const row = rows.get(label) ?? { ms: [], server: [], main: [], client: [], clientSys: [], chunks: [] };
      rows.set(label, row);
      row.ms.push(res.totalMs);
      row.server.push(server);
      row.main.push(mainThread);
      row.client.push(client);
      row.clientSys.push(u.system / 1000);
      row.chunks.push(chunks);
      console.log(
        `round ${r} ${label}: ${res.totalMs.toFixed(0)} ms wall, server CPU ${server} ms (main thread ${mainThread}), client CPU ${client.toFixed(0)} ms (system ${(u.system / 1000).toFixed(0)}), ${chunks} chunks (${te}); threads: ${byThread}`,
      );
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [label, x] of rows) {
    console.log(
      `${label}: wall median ${med(x.ms).toFixed(0)} ms (${Math.min(...x.ms).toFixed(0)}–${Math.max(...x.ms).toFixed(0)}), server CPU median ${med(x.server)} ms (main thread ${med(x.main)}), client CPU median ${med(x.client).toFixed(0)} ms (system ${med(x.clientSys).toFixed(0)}), chunks median ${med(x.chunks)}`,
    );
  }
  if (process.argv.includes('--show-output'))
    for (const [label, s] of servers) console.log(`${label} output:\n${s.output()}`);
} finally {
  await Promise.all([...servers.values()].map((s) => s.stop()));
  agent.destroy();
  rmSync(root, { recursive: true, force: true });
}
