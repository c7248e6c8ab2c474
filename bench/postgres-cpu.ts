/** CPU of the PostgreSQL processes this bench process started (a throwaway cluster), read from /proc. */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime/stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** CPU seconds of the PostgreSQL processes under this process, by pid. */
export function postgresCpuByPid(): Map<number, number> {
  const stats = new Map<number, { ppid: number; comm: string; cpu: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = s.lastIndexOf(')');
      const f = s.slice(close + 2).split(' ');
      stats.set(Number(name), {
        ppid: Number(f[1]),
        comm: s.slice(s.indexOf('(') + 1, close),
        cpu: Number(f[11]) + Number(f[12]),
      });
    } catch {
      // gone meanwhile
    }
  }
  const under = (pid: number): boolean => {
    for (let p = stats.get(pid)?.ppid; p !== undefined && p > 1; p = stats.get(p)?.ppid)
      if (p === process.pid) return true;
    return false;
  };
  const out = new Map<number, number>();
  for (const [pid, s] of stats) if (s.comm.startsWith('postgres') && under(pid)) out.set(pid, s.cpu / TICKS_PER_S);
  return out;
}

/** CPU seconds of this process's descendants named postgres; 0 with PG_TEST_URL elsewhere. */
export function postgresCpuS(): number {
  let total = 0;
  for (const cpu of postgresCpuByPid().values()) total += cpu;
  return total;
}
