/**
 * P6 with curl as the client: the WADO-RS retrieve of CT400 from our server and from Orthanc,
 * interleaved, each read by `curl -o /dev/null` (no multipart counting in a Node client), with the
 * server's CPU (all threads, /proc) and curl's own CPU per retrieve. Shows whether the bench's
 * Node client bounds the figures.
 *   node --import tsx bench/p6-curl.ts <entry> [rounds] [--cache=DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RETRIEVE_ACCEPT, stow } from './dicomweb.js';
import { ensureDataset } from './generate.js';
import { keepAliveAgent } from './http-client.js';
import { fileParts } from './multipart.js';
import { bridgeFactory, orthancFactory, type RunningServer } from './servers.js';
import { bridgeIdle, manifestFiles } from './workloads/context.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const cacheDir = process.argv.find((a) => a.startsWith('--cache='))?.slice('--cache='.length);
const [entry, roundsArg] = args;
const rounds = Number(roundsArg ?? 6);
const cpuMs = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

const manifest = ensureDataset('CT400', { cacheDir });
const studyUid = manifest.entries[0]!.studyUid;
const root = mkdtempSync(join(tmpdir(), 'p6-curl-'));
const agent = keepAliveAgent();
const servers = new Map<string, RunningServer>();
try {
  for (const [label, factory] of [
    ['ours', bridgeFactory({ entry })],
    ['Orthanc', orthancFactory()],
  ] as const) {
    const server = await factory.start(join(root, label));
    servers.set(label, server);
    await stow(server.dicomWebUrl, fileParts(manifestFiles(manifest)), { agent });
    await bridgeIdle(server);
  }
  const rows = new Map<string, { mbPerS: number[]; server: number[]; curl: number[] }>();
  for (let r = 0; r < rounds; r++) {
    const order = [...servers.keys()];
    if (r % 2) order.reverse();
    for (const label of order) {
      const s = servers.get(label)!;
      const c0 = cpuMs(s.pid);
      const out = spawnSync(
        'bash',
        [
          '-c',
          `TIMEFORMAT='%U %S'; time curl -s -o /dev/null -H 'Accept: ${RETRIEVE_ACCEPT}' -w '%{time_total} %{size_download}\\n' '${s.dicomWebUrl}/studies/${studyUid}'`,
        ],
        { encoding: 'utf8' },
      );
      const server = cpuMs(s.pid) - c0;
      const [total, size] = out.stdout.trim().split(' ').map(Number);
      const [user, sys] = out.stderr.trim().split(' ').map(Number);
      const row = rows.get(label) ?? { mbPerS: [], server: [], curl: [] };
      rows.set(label, row);
      row.mbPerS.push(size! / 1e6 / total!);
      row.server.push(server);
      row.curl.push((user! + sys!) * 1000);
      console.log(
        `round ${r} ${label}: ${(size! / 1e6).toFixed(1)} MB in ${(total! * 1000).toFixed(0)} ms (${(size! / 1e6 / total!).toFixed(0)} MB/s), server CPU ${server} ms, curl CPU ${((user! + sys!) * 1000).toFixed(0)} ms`,
      );
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [label, x] of rows)
    console.log(
      `${label}: median ${med(x.mbPerS).toFixed(0)} MB/s, server CPU ${med(x.server)} ms, curl CPU ${med(x.curl).toFixed(0)} ms`,
    );
} finally {
  await Promise.all([...servers.values()].map((s) => s.stop()));
  agent.destroy();
  rmSync(root, { recursive: true, force: true });
}
