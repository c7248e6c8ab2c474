/** platelets, coagulation, glucose: the latest value in the lab window decides. */
import { describe, readings, type Analyte, type Reading } from './observations.js';
import { failed } from './read.js';
import type { Finding, RuleContext } from './types.js';

function noValue(c: RuleContext, what: string, unconvertible: number): Finding | undefined {
  if (c.record.observations === null)
    return { status: 'unknown', reason: failed(c.record.failures, 'observations'), evidence: [] };
  return {
    status: 'unknown',
    reason:
      `no ${what} from 24 h before the reference time up to now` +
      (unconvertible ? ` (${unconvertible} value(s) in a unit that cannot be converted)` : ''),
    evidence: [],
  };
}

function latest(c: RuleContext, a: Analyte): { reading?: Reading; unconvertible: number } {
  const r = readings(c, a);
  return { reading: r.readings[0], unconvertible: r.unconvertible.length };
}

export function platelets(c: RuleContext): Finding {
  const { reading, unconvertible } = latest(c, 'platelets');
  if (!reading) return noValue(c, 'platelet count', unconvertible)!;
  const low = reading.value < 100;
  return {
    status: low ? 'present' : 'absent',
    reason: `Platelets ${describe(reading)}, ${low ? 'below' : 'not below'} 100`,
    evidence: [reading.evidence],
  };
}

export function glucose(c: RuleContext): Finding {
  const { reading, unconvertible } = latest(c, 'glucose');
  if (!reading) return noValue(c, 'glucose', unconvertible)!;
  const low = reading.value < 50;
  return {
    status: low ? 'present' : 'absent',
    reason: `Glucose ${describe(reading)}, ${low ? 'below' : 'not below'} 50 mg/dL`,
    evidence: [reading.evidence],
  };
}

/** Present when INR > 1.7, PT > 15 s or aPTT > 40 s; absent needs a known INR ≤ 1.7 and no abnormal PT/aPTT. */
export function coagulation(c: RuleContext): Finding {
  const inr = latest(c, 'inr');
  const pt = latest(c, 'pt');
  const aptt = latest(c, 'aptt');
  const checks: { name: string; reading?: Reading; limit: number }[] = [
    { name: 'INR', reading: inr.reading, limit: 1.7 },
    { name: 'PT', reading: pt.reading, limit: 15 },
    { name: 'aPTT', reading: aptt.reading, limit: 40 },
  ];
  const abnormal = checks.filter((x) => x.reading && x.reading.value > x.limit);
  if (abnormal.length)
    return {
      status: 'present',
      reason: abnormal.map((x) => `${x.name} ${describe(x.reading!)}, above ${x.limit}`).join('; '),
      evidence: abnormal.map((x) => x.reading!.evidence),
    };
  if (!inr.reading) return noValue(c, 'INR', inr.unconvertible + pt.unconvertible + aptt.unconvertible)!;
  const known = checks.filter((x) => x.reading);
  return {
    status: 'absent',
    reason: known.map((x) => `${x.name} ${describe(x.reading!)}, not above ${x.limit}`).join('; '),
    evidence: known.map((x) => x.reading!.evidence),
  };
}
