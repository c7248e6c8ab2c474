import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the priority of the calling thread only. On Linux `setpriority(PRIO_PROCESS, 0, n)`
 * (what os.setPriority(0, n) calls) acts on the calling thread, not the process (a documented
 * non-POSIX behaviour, see setpriority(2) "BUGS"), and threads started later from this one
 * inherit it. Elsewhere it would lower the whole process, so nothing is done there. Returns the
 * thread's nice value afterwards (undefined when left unchanged).
 */
export function lowerThreadPriority(nice: number, platform: NodeJS.Platform = process.platform): number | undefined {
  if (nice <= 0 || platform !== 'linux') return undefined;
  try {
    setPriority(0, Math.min(19, nice));
    return getPriority(0);
  } catch {
    return undefined; // not permitted (a sandbox): render at the normal priority
  }
}
