/**
 * novelty: a routine study with a prior study of the same body part within 24 months is a
 * surveillance follow-up (−5); an AI finding not reported on such a prior is a new finding (+10).
 */
import type { ImagingStudy } from '@medplum/fhirtypes';
import { aiObservationsOf, type AiFinding } from './ai.js';
import type { WorklistConfig } from './config.js';
import { findingOf } from './findings.js';
import { bodyParts, HOUR, ref, studyStart } from './read.js';
import type { StudyRecord, Term } from './types.js';

const MONTH = 30.4375 * 24 * HOUR;
const IGNORED = new Set(['cancelled', 'entered-in-error']);

/** Earlier studies of the patient with a body part in common, within novelty.priorMonths. */
export function samePartPriors(r: StudyRecord, c: WorklistConfig): ImagingStudy[] {
  const parts = bodyParts(r.study);
  const start = studyStart(r.study) ?? r.received;
  if (!parts.size || start === undefined) return [];
  return r.priors.filter((p) => {
    if (p.id === r.study.id || IGNORED.has(p.status)) return false;
    const at = studyStart(p);
    if (at === undefined || at >= start || at < start - c.novelty.priorMonths * MONTH) return false;
    return [...bodyParts(p)].some((b) => parts.has(b));
  });
}

export function noveltyTerms(r: StudyRecord, c: WorklistConfig, routine: boolean, found: AiFinding[]): Term[] {
  const priors = samePartPriors(r, c);
  const out: Term[] = [];
  if (routine && priors.length)
    out.push({
      term: 'novelty',
      points: c.novelty.followUp,
      reason: `routine follow-up: prior study of the same body part within ${c.novelty.priorMonths} months`,
      evidence: priors.map(ref),
    });
  if (found.length) {
    const before = new Set(
      priors.flatMap((p) => aiObservationsOf(r.observations, ref(p)).map((o) => findingOf(o)?.name)),
    );
    const fresh = found.filter((f) => !before.has(f.kind.name));
    if (fresh.length)
      out.push({
        term: 'novelty',
        points: c.novelty.newFinding,
        reason: `new finding: ${[...new Set(fresh.map((f) => f.kind.name))].join(', ')} (not reported on a prior of the same body part)`,
        evidence: fresh.map((f) => ref(f.observation)),
      });
  }
  return out;
}
