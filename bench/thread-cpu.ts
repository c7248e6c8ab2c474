/**
 * CPU time of a local process split by thread priority, from /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds on the CPU) and stat (nice value). Used by P13c to tell rendering (its threads
 * run at a lowered priority) from everything else the server does. Linux only: elsewhere the
 * snapshots are empty and the figures absent.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ThreadSample {
  nice: number;
  runMs: number;
}

export type ThreadSnapshot = Map<string, ThreadSample>;

export function threadSnapshot(pid: number): ThreadSnapshot {
  const out: ThreadSnapshot = new Map();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const runNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out.set(tid, { nice: Number(fields[16]), runMs: runNs / 1e6 }); // stat field 19: nice
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

export interface CpuByPriority {
  /** Threads at nice ≤ 0: the event loop, ingest, libuv's pool, V8's platform threads. */
  normalMs: number;
  /** Threads at nice > 0 (render threads). */
  loweredMs: number;
}

/** CPU used between two snapshots; undefined when there were none (not Linux). */
export function cpuBetween(before: ThreadSnapshot, after: ThreadSnapshot): CpuByPriority | undefined {
  if (after.size === 0) return undefined;
  const out: CpuByPriority = { normalMs: 0, loweredMs: 0 };
  for (const [tid, t] of after) {
    const used = t.runMs - (before.get(tid)?.runMs ?? 0);
    if (t.nice > 0) out.loweredMs += used;
    else out.normalMs += used;
  }
  return out;
}
