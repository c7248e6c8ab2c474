/**
 * The machine is shared (other sessions build and test on the same 2 cores): measure how
 * much CPU processes outside this benchmark use, wait for quiet moments before measuring,
 * and report the foreign load next to every workload.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc (USER_HZ; 100 on Linux). */
const HZ = 100;

export interface CpuSnapshot {
  at: number;
  /** Busy ticks of the whole machine (all cores). */
  busy: number;
  /** Ticks of this process and of its children that have exited (servers, once stopped). */
  own: number;
  cores: number;
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const stat = readFileSync('/proc/stat', 'utf8');
    const fields = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = fields[0]! + fields[1]! + fields[2]! + fields[5]! + fields[6]! + (fields[7] ?? 0);
    const cores = stat.split('\n').filter((l) => /^cpu\d+ /.test(l)).length || 1;
    // /proc/self/stat: the fields after the command's closing parenthesis; utime stime cutime cstime are 14–17.
    const self = readFileSync('/proc/self/stat', 'utf8');
    const rest = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const own = rest[11]! + rest[12]! + rest[13]! + rest[14]!;
    return { at: performance.now(), busy, own, cores };
  } catch {
    return undefined;
  }
}

/**
 * CPU used outside this process tree between two snapshots, as a share of the machine
 * (0.5 = one of two cores). Children still running at `b` are counted as foreign, so take
 * `b` after the servers have stopped. Kernel threads (writeback, journal) count as foreign.
 */
export function foreignShare(a: CpuSnapshot, b: CpuSnapshot): number {
  const seconds = (b.at - a.at) / 1000;
  if (seconds <= 0) return 0;
  const ticks = b.busy - a.busy - (b.own - a.own);
  return Math.max(0, ticks / HZ / seconds / b.cores);
}

export interface QuietOptions {
  /** Quiet = foreign CPU below this share of the machine over `windowMs`. */
  maxShare: number;
  windowMs: number;
  /** Give up waiting after this long (the measurement then runs anyway, flagged). */
  timeoutMs: number;
}

export const QUIET_DEFAULTS: QuietOptions = { maxShare: 0.1, windowMs: 2_000, timeoutMs: 5 * 60_000 };

export interface QuietResult {
  waitedMs: number;
  /** Foreign share in the last window looked at. */
  share: number;
  quiet: boolean;
}

/** Waits until other processes leave the machine alone for one window (or the timeout). */
export async function waitForQuiet(
  opts: QuietOptions = QUIET_DEFAULTS,
  log?: (line: string) => void,
  label = '',
): Promise<QuietResult> {
  const started = performance.now();
  let announced = false;
  for (;;) {
    const a = cpuSnapshot();
    await new Promise((r) => setTimeout(r, opts.windowMs));
    const b = cpuSnapshot();
    if (!a || !b) return { waitedMs: 0, share: 0, quiet: true };
    const share = foreignShare(a, b);
    const waitedMs = performance.now() - started;
    if (share <= opts.maxShare) {
      if (announced) log?.(`  quiet after ${(waitedMs / 1000).toFixed(0)} s`);
      return { waitedMs, share, quiet: true };
    }
    if (waitedMs >= opts.timeoutMs) {
      log?.(
        `  machine still busy after ${(waitedMs / 1000).toFixed(0)} s (other processes: ${(share * 100).toFixed(0)}% CPU); measuring anyway${label ? ` (${label})` : ''}`,
      );
      return { waitedMs, share, quiet: false };
    }
    if (!announced) {
      log?.(
        `  waiting for a quiet machine${label ? ` before ${label}` : ''}: other processes use ${(share * 100).toFixed(0)}% of the CPUs …`,
      );
      announced = true;
    }
  }
}
