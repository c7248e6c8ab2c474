/**
 * override: an active code-stroke or trauma activation puts the study in the top tier, above
 * every study without one. Recognised from an active Flag of the patient, or the order's reason,
 * by configured codes and text patterns. A patient's flag counts for the studies started from
 * `override.windowHours` before it was raised on (not for the patient's older studies).
 */
import type { WorklistConfig } from './config.js';
import { activeFlag, HOUR, matches, matchesText, ref, studyStart, texts, time } from './read.js';
import type { StudyRecord, Term } from './types.js';

export function overrideTerm(r: StudyRecord, c: WorklistConfig, now: number): Term | undefined {
  const started = studyStart(r.study) ?? r.received;
  const flags = r.flags.filter((f) => {
    if (!activeFlag(f, now) || !matches(f.code, c.override)) return false;
    const raised = time(f.period?.start);
    return raised === undefined || started === undefined || started >= raised - c.override.windowHours * HOUR;
  });
  if (flags.length)
    return {
      term: 'override',
      points: c.override.points,
      reason: `active flag: ${flags.map((f) => texts(f.code)[0] ?? 'activation').join('; ')}`,
      evidence: flags.map(ref),
    };
  const order = r.order?.request;
  if (!order || ['revoked', 'entered-in-error'].includes(order.status)) return undefined;
  const reasons = [...(order.reasonCode ?? []).flatMap(texts), ...(order.note ?? []).map((n) => n.text)];
  const coded = (order.reasonCode ?? []).some((rc) => matches(rc, { codes: c.override.codes, patterns: [] }));
  if (coded || matchesText(reasons, c.override.patterns))
    return {
      term: 'override',
      points: c.override.points,
      reason: `order reason: ${reasons.join('; ') || 'coded activation'}`,
      evidence: [ref(order)],
    };
  return undefined;
}
