/**
 * CEIL: the ceilings of this machine for P2, measured in the same run —
 * - durable writes: 400 files of CT400's mean size (≈ 525 KB), each written, fdatasync'ed,
 *   closed and its folder fsync'ed, one after the other on one thread (sync calls);
 * - transport: the same CT400 multipart request as P2, from the same client, into a
 *   separate Node process that only counts the bytes (loopback HTTP, nothing stored).
 * Our STOW path has to do both (overlapped), plus multipart and DICOM parsing, a rename
 * into place per instance and the index commits.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, fdatasyncSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Agent } from 'node:http';
import { join } from 'node:path';
import { spawnManaged, waitForHttpOk } from '../../test/support/process.js';
import { freePort } from '../../test/support/ports.js';
import { REPO_ROOT } from '../../test/support/server.js';
import { stow } from '../dicomweb.js';
import { entryPath, type Manifest } from '../generate.js';
import { fileParts } from '../multipart.js';
import { mbPerSecond, median } from '../stats.js';
import { manifestFiles, type BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

/**
 * Flush dirty pages left by earlier steps (sync(1)) so a measured write burst does not pay
 * for the previous one's writeback. On this kind of VM, consecutive 200 MB bursts otherwise
 * slow each other down several-fold.
 */
export function settleDisk(): void {
  try {
    execFileSync('sync', { stdio: 'ignore' });
  } catch {
    // not fatal: the figure is just noisier
  }
}

/** A server that answers every request once its body is read, counting nothing else. */
const DRAIN_SERVER = `
const http = require('node:http');
const port = Number(process.argv[1]);
http.createServer((req, res) => {
  if (req.method === 'GET') { res.end('ok'); return; }
  let n = 0;
  req.on('data', (c) => { n += c.length; });
  req.on('end', () => { res.setHeader('content-type', 'application/dicom+json'); res.end(JSON.stringify({ bytes: n })); });
}).listen(port, '127.0.0.1');
`;

/** Wall times of `runs` P2-shaped STOW requests into the drain server. */
export async function transportCeiling(
  manifest: Manifest,
  runs: number,
  agent: Agent,
  quiet?: (label: string) => Promise<void>,
): Promise<number[]> {
  const port = await freePort();
  const proc = spawnManaged(process.execPath, ['-e', DRAIN_SERVER, String(port)], {
    cwd: REPO_ROOT,
    name: 'drain server',
  });
  try {
    await waitForHttpOk(`http://127.0.0.1:${port}/`, proc, 10_000, 'drain server');
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      await quiet?.(`CEIL transport run ${run + 1}`);
      times.push(
        (await stow(`http://127.0.0.1:${port}`, fileParts(manifestFiles(manifest)), { agent, timeoutMs: 120_000 })).ms,
      );
    }
    return times;
  } finally {
    await proc.stop(2_000);
  }
}

export interface CeilingSample {
  ms: number;
  files: number;
  bytes: number;
}

/** Writes `files` copies of `content` durably into `dir` (which must exist and be empty). */
export function durableWrites(dir: string, content: Buffer, files: number): CeilingSample {
  const dirFd = openSync(dir, 'r');
  const started = performance.now();
  try {
    for (let i = 0; i < files; i++) {
      const fd = openSync(join(dir, `f${String(i).padStart(4, '0')}.dcm`), 'wx');
      try {
        let done = 0;
        while (done < content.length) done += writeSync(fd, content, done, content.length - done);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      fsyncSync(dirFd);
    }
  } finally {
    closeSync(dirFd);
  }
  return { ms: performance.now() - started, files, bytes: content.length * files };
}

/** CT400's first file, padded or cut to CT400's mean file size: what the ceiling writes 400 times. */
export function ceilingContent(manifest: Manifest): Buffer {
  const meanSize = Math.round(manifest.totalBytes / manifest.entries.length);
  const first = readFileSync(entryPath(manifest, manifest.entries[0]!));
  const content = Buffer.alloc(meanSize);
  first.copy(content, 0, 0, Math.min(first.length, meanSize));
  return content;
}

export async function runCeiling(ctx: BenchContext): Promise<WorkloadResult> {
  const manifest = ctx.data.ct400();
  const files = manifest.entries.length;
  const content = ceilingContent(manifest);
  const meanSize = content.length;
  const samples: CeilingSample[] = [];
  for (let run = 1; run <= ctx.options.runs; run++) {
    const dir = ctx.scratch.dir('ceiling');
    try {
      await ctx.quiet(`CEIL run ${run}`);
      settleDisk();
      const s = durableWrites(dir, content, files);
      samples.push(s);
      ctx.log(
        `  CEIL run ${run}: ${files} × ${(meanSize / 1000).toFixed(0)} KB durable in ${(s.ms / 1000).toFixed(2)} s (${mbPerSecond(s.bytes, s.ms).toFixed(0)} MB/s, ${((files / s.ms) * 1000).toFixed(0)} files/s)`,
      );
    } finally {
      ctx.scratch.remove(dir);
    }
  }
  const ms = median(samples.map((s) => s.ms));
  const transport = await transportCeiling(manifest, ctx.options.runs, ctx.agent, ctx.quiet);
  for (const [i, t] of transport.entries()) {
    ctx.log(
      `  CEIL transport run ${i + 1}: CT400 multipart (${(manifest.totalBytes / 1e6).toFixed(0)} MB) into a draining process in ${(t / 1000).toFixed(2)} s (${mbPerSecond(manifest.totalBytes, t).toFixed(0)} MB/s)`,
    );
  }
  return {
    id: 'CEIL',
    title: 'Durable-write ceiling (machine, no server)',
    rows: [
      {
        workload: 'CEIL',
        metric: `${files} × ${(meanSize / 1000).toFixed(0)} KB write+fdatasync+dir fsync, wall`,
        unit: 's',
        better: 'lower',
        values: { ours: ms / 1000 },
      },
      {
        workload: 'CEIL',
        metric: 'ceiling throughput',
        unit: 'MB/s',
        better: 'higher',
        values: { ours: median(samples.map((s) => mbPerSecond(s.bytes, s.ms))) },
      },
      {
        workload: 'CEIL',
        metric: 'ceiling files/s',
        unit: 'files/s',
        better: 'higher',
        values: { ours: median(samples.map((s) => (s.files / s.ms) * 1000)) },
      },
      {
        workload: 'CEIL',
        metric: 'transport: P2 request into a draining process, wall',
        unit: 's',
        better: 'lower',
        values: { ours: median(transport) / 1000 },
      },
      {
        workload: 'CEIL',
        metric: 'transport throughput',
        unit: 'MB/s',
        better: 'higher',
        values: { ours: mbPerSecond(manifest.totalBytes, median(transport)) },
      },
    ],
    notes: [
      `Durable writes: sequential, one thread, synchronous calls: open(wx) → write → fdatasync → close → fsync(folder), ${files} files of ${meanSize} B (CT400's mean file size), into the same scratch file system the servers use; sync(1) before each run; median of ${ctx.options.runs} runs.`,
      `Transport: the P2 request (same client code, same files, Content-Length) into a separate Node process that reads and drops the body; median of ${ctx.options.runs}. The client and the server share the 2 cores in P2 as here.`,
      'Shown in the "ours" column: these are the machine, not a server.',
    ],
    raw: { samples, meanSize, transportMs: transport },
    errors: [],
  };
}
