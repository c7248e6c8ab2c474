/** P6: WADO-RS retrieve of the CT400 study (multipart, transfer-syntax=*), streamed and counted. */
import { readFileSync } from 'node:fs';
import { readProcStatusKb } from '../../test/support/process.js';
import type { Side } from '../servers.js';
import { max, mbPerSecond, median } from '../stats.js';
import { kbToMb, withServer, type BenchContext } from './context.js';
import { curlAvailable, curlRetrieve, RetrieveClient } from './retrieve-client.js';
import type { WorkloadResult } from './types.js';

interface P6Figures {
  ms: number[];
  mbPerS: number[];
  /** Server CPU (all threads, user + system) per MB sent, per run; empty when /proc is unreadable. */
  cpuMsPerMb: number[];
  /**
   * The client's CPU per run (curl's, or this process's with the Node client; the same client for
   * both servers): when it is near the wall time, the client and not the server bounds the figure.
   */
  clientCpuMs: number[];
  /** MB the server read from the disk per run (page-cache misses); empty when /proc is unreadable. */
  diskReadMb: number[];
  bytes: number;
  parts: number;
  baselineRssMb: number;
  peakRssMb: number;
}

/** utime + stime of a process in ms (/proc/<pid>/stat, clock ticks of 10 ms); undefined when unreadable. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Bytes the process had the kernel read from the block device (page-cache misses); undefined when unreadable. */
function diskReadBytes(pid: number): number | undefined {
  try {
    const m = /read_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** "Flat memory": the server's RSS grows by less than this share of the study during retrieval. */
const FLAT_GROWTH_SHARE = 0.25;

export async function runP6(ctx: BenchContext): Promise<WorkloadResult> {
  const manifest = ctx.data.ct400();
  const studyUid = manifest.entries[0]!.studyUid;
  const figures: Partial<Record<Side, P6Figures>> = {};
  const useCurl = curlAvailable();
  const errors: string[] = [];
  const notes: string[] = [];
  for (const factory of ctx.factories) {
    try {
      const dir = await ctx.data.ct400Dir(ctx, factory);
      await ctx.quiet(`P6 ${factory.label}`);
      figures[factory.side] = await withServer(factory, dir, async (server) => {
        server.resetPeakRss();
        const baselineRssMb = kbToMb(readProcStatusKb(server.pid, 'VmRSS') ?? 0);
        const f: P6Figures = {
          ms: [],
          mbPerS: [],
          cpuMsPerMb: [],
          clientCpuMs: [],
          diskReadMb: [],
          bytes: 0,
          parts: 0,
          baselineRssMb,
          peakRssMb: 0,
        };
        const client = useCurl ? undefined : await RetrieveClient.start();
        try {
          for (let run = 1; run <= ctx.options.runs; run++) {
            const cpuBefore = cpuMs(server.pid);
            const readBefore = diskReadBytes(server.pid);
            const clientBefore = process.cpuUsage();
            const r = client
              ? await client.retrieve(server.dicomWebUrl, studyUid)
              : curlRetrieve(server.dicomWebUrl, studyUid);
            const clientCpu = process.cpuUsage(clientBefore);
            const cpuAfter = cpuMs(server.pid);
            const readAfter = diskReadBytes(server.pid);
            const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
            if (cpu !== undefined) f.cpuMsPerMb.push(cpu / (r.bytes / 1e6));
            const clientMs: number =
              'clientCpuMs' in r ? (r.clientCpuMs as number) : (clientCpu.user + clientCpu.system) / 1000;
            f.clientCpuMs.push(clientMs);
            const diskMb =
              readBefore !== undefined && readAfter !== undefined ? (readAfter - readBefore) / 1e6 : undefined;
            if (diskMb !== undefined) f.diskReadMb.push(diskMb);
            f.ms.push(r.ms);
            f.mbPerS.push(mbPerSecond(r.bytes, r.ms));
            f.bytes = r.bytes;
            f.parts = r.parts;
            ctx.log(
              `  P6 run ${run} ${factory.label}: ${(r.ms / 1000).toFixed(2)} s, ${(r.bytes / 1e6).toFixed(1)} MB in ${r.parts} parts, first byte ${r.firstByteMs.toFixed(0)} ms, server CPU ${cpu ?? '?'} ms, server disk reads ${diskMb?.toFixed(1) ?? '?'} MB, client (${useCurl ? 'curl' : 'Node, in a worker'}) CPU ${clientMs.toFixed(0)} ms`,
            );
          }
        } finally {
          await client?.close();
        }
        f.peakRssMb = kbToMb(server.peakRssKb());
        return f;
      });
      const f = figures[factory.side]!;
      if (f.parts !== manifest.entries.length)
        notes.push(`${factory.label}: retrieve returned ${f.parts}/${manifest.entries.length} parts`);
    } catch (err) {
      errors.push(`P6 ${factory.label}: ${(err as Error).message}`);
      ctx.log(`  P6 ${factory.label} failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const by = (f: (x: P6Figures) => number): Partial<Record<Side, number>> =>
    Object.fromEntries(Object.entries(figures).map(([side, x]) => [side, f(x)]));
  const flatLimitMb = (manifest.totalBytes / 1e6) * FLAT_GROWTH_SHARE;
  for (const [side, f] of Object.entries(figures)) {
    const growth = f.peakRssMb - f.baselineRssMb;
    notes.push(
      `${side}: RSS ${f.baselineRssMb.toFixed(0)} MB before → peak ${f.peakRssMb.toFixed(0)} MB (+${growth.toFixed(0)} MB; "flat" = growth < ${flatLimitMb.toFixed(0)} MB): ${growth < flatLimitMb ? 'flat' : 'NOT flat'}`,
    );
  }
  for (const [side, f] of Object.entries(figures))
    notes.push(
      `${side}: per retrieve, the client's CPU (${useCurl ? 'curl' : 'Node, in a worker'}) ${f.clientCpuMs.map((x) => x.toFixed(0)).join(', ')} ms and the server's disk reads ${f.diskReadMb.map((x) => x.toFixed(1)).join(', ') || '?'} MB (wall ${f.ms.map((x) => x.toFixed(0)).join(', ')} ms).`,
    );
  notes.push(
    `Accept: multipart/related; type="application/dicom"; transfer-syntax=*. Median of ${ctx.options.runs} retrieves on one server process. Client: ${useCurl ? 'curl (its own time_total and time_starttransfer; the body written to memory and its parts counted after the timing)' : 'Node (bench/dicomweb.ts retrieveStudy) in a worker thread of its own, keep-alive'}, the same for both servers.`,
  );
  return {
    id: 'P6',
    title: 'WADO-RS retrieve CT400',
    rows: [
      { workload: 'P6', metric: 'wall time', unit: 's', better: 'lower', values: by((f) => median(f.ms) / 1000) },
      {
        workload: 'P6',
        metric: 'throughput',
        unit: 'MB/s',
        better: 'higher',
        values: by((f) => median(f.mbPerS)),
        target: { text: '≥ 1.2× (with flat memory)', minRatio: 1.2 },
      },
      {
        workload: 'P6',
        metric: 'server CPU per MB',
        unit: 'ms',
        better: 'lower',
        values: Object.fromEntries(
          Object.entries(figures)
            .filter(([, f]) => f.cpuMsPerMb.length > 0 && f.cpuMsPerMb.length === f.ms.length)
            .map(([side, f]) => [side, median(f.cpuMsPerMb)]),
        ),
      },
      { workload: 'P6', metric: 'server peak RSS', unit: 'MB', better: 'lower', values: by((f) => max([f.peakRssMb])) },
    ],
    notes,
    raw: { figures },
    errors,
  };
}
