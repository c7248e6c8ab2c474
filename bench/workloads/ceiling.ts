/**
 * CEIL: the durable-write ceiling of this machine, measured in the same run as P2 —
 * 400 files of CT400's mean size (≈ 525 KB), each written, fdatasync'ed, closed and its
 * folder fsync'ed, one after the other on one thread (sync calls, no server, no parsing).
 * Our STOW path does the same per instance plus a rename into place and the index commit.
 */
import { closeSync, fdatasyncSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { entryPath } from '../generate.js';
import { mbPerSecond, median } from '../stats.js';
import type { BenchContext } from './context.js';
import type { WorkloadResult } from './types.js';

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

export async function runCeiling(ctx: BenchContext): Promise<WorkloadResult> {
  const manifest = ctx.data.ct400();
  const files = manifest.entries.length;
  const meanSize = Math.round(manifest.totalBytes / files);
  // Real CT400 bytes (first file), padded or cut to the mean size.
  const first = readFileSync(entryPath(manifest, manifest.entries[0]!));
  const content = Buffer.alloc(meanSize);
  first.copy(content, 0, 0, Math.min(first.length, meanSize));
  const samples: CeilingSample[] = [];
  for (let run = 1; run <= ctx.options.runs; run++) {
    const dir = ctx.scratch.dir('ceiling');
    try {
      const s = durableWrites(dir, content, files);
      samples.push(s);
      ctx.log(`  CEIL run ${run}: ${files} × ${(meanSize / 1000).toFixed(0)} KB durable in ${(s.ms / 1000).toFixed(2)} s (${mbPerSecond(s.bytes, s.ms).toFixed(0)} MB/s, ${((files / s.ms) * 1000).toFixed(0)} files/s)`);
    } finally {
      ctx.scratch.remove(dir);
    }
  }
  const ms = median(samples.map((s) => s.ms));
  return {
    id: 'CEIL',
    title: 'Durable-write ceiling (machine, no server)',
    rows: [
      { workload: 'CEIL', metric: `${files} × ${(meanSize / 1000).toFixed(0)} KB write+fdatasync+dir fsync, wall`, unit: 's', better: 'lower', values: { ours: ms / 1000 } },
      { workload: 'CEIL', metric: 'ceiling throughput', unit: 'MB/s', better: 'higher', values: { ours: median(samples.map((s) => mbPerSecond(s.bytes, s.ms))) } },
      { workload: 'CEIL', metric: 'ceiling files/s', unit: 'files/s', better: 'higher', values: { ours: median(samples.map((s) => (s.files / s.ms) * 1000)) } },
    ],
    notes: [
      `Sequential, one thread, synchronous calls: open(wx) → write → fdatasync → close → fsync(folder), ${files} files of ${meanSize} B (CT400's mean file size), into the same scratch file system the servers use; median of ${ctx.options.runs} runs. Shown in the "ours" column: it is the machine, not a server.`,
    ],
    raw: { samples, meanSize },
    errors: [],
  };
}

/** P2 throughput of each side as a share of the ceiling (a row for the report), when both ran. */
export function ceilingShare(results: WorkloadResult[]): WorkloadResult['rows'][number] | undefined {
  const ceil = results.find((r) => r.id === 'CEIL')?.rows.find((r) => r.metric === 'ceiling throughput')?.values.ours;
  const p2 = results.find((r) => r.id === 'P2')?.rows.find((r) => r.metric === 'throughput')?.values;
  if (!ceil || !p2) return undefined;
  const share = (v: number | undefined): number | undefined => (v === undefined ? undefined : (v / ceil) * 100);
  const values: Partial<Record<'ours' | 'orthanc', number>> = {};
  if (p2.ours !== undefined) values.ours = share(p2.ours);
  if (p2.orthanc !== undefined) values.orthanc = share(p2.orthanc);
  return { workload: 'P2', metric: 'throughput as share of the CEIL ceiling', unit: '%', better: 'higher', values };
}
