/** blood-pressure: the latest systolic (> 185) and diastolic (> 110), from the 85354-9 panel or separate Observations. */
import { describe, readings } from './observations.js';
import { failed } from './read.js';
import type { Finding, RuleContext } from './types.js';

export function bloodPressure(c: RuleContext): Finding {
  if (c.record.observations === null)
    return { status: 'unknown', reason: failed(c.record.failures, 'observations'), evidence: [] };
  const sbp = readings(c, 'systolic').readings[0];
  const dbp = readings(c, 'diastolic').readings[0];
  const parts = [
    sbp ? `SBP ${describe(sbp)}${sbp.value > 185 ? ', above 185' : ''}` : 'no systolic value',
    dbp ? `DBP ${describe(dbp)}${dbp.value > 110 ? ', above 110' : ''}` : 'no diastolic value',
  ];
  const evidence = [sbp?.evidence, dbp?.evidence].filter((e) => e !== undefined);
  // One high value is enough; "absent" needs both known (a single normal one says nothing of the other).
  const high = (sbp && sbp.value > 185) || (dbp && dbp.value > 110);
  const status = high ? 'present' : sbp && dbp ? 'absent' : 'unknown';
  const reason =
    status === 'unknown' && !sbp && !dbp
      ? 'no blood pressure from 24 h before the reference time up to now'
      : parts.join('; ');
  // Two readings of the same panel are one piece of evidence.
  const unique = evidence.filter((e, i) => evidence.findIndex((x) => x.reference === e.reference) === i);
  return { status, reason, evidence: unique };
}
