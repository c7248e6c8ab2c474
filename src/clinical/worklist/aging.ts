/**
 * aging: +1 per 10 minutes waiting (non-routine) or per hour (routine), capped at +20, so nothing
 * waits forever. Counted from when the study arrived (else when it started); computed on read.
 */
import type { WorklistConfig } from './config.js';
import { MINUTE } from './read.js';
import type { Term } from './types.js';

export function agingTerm(
  since: number | undefined,
  routine: boolean,
  c: WorklistConfig,
  now: number,
  evidence: string,
): Term | undefined {
  if (since === undefined || now <= since) return undefined;
  const step = (routine ? c.aging.routineMinutes : c.aging.nonRoutineMinutes) * MINUTE;
  const points = Math.min(c.aging.cap, Math.floor((now - since) / step));
  if (points <= 0) return undefined;
  const minutes = Math.floor((now - since) / MINUTE);
  return {
    term: 'aging',
    points,
    reason: `waiting ${minutes} min (+1 per ${step / MINUTE} min${routine ? ', routine' : ''}, capped at ${c.aging.cap})`,
    evidence: [evidence],
  };
}
