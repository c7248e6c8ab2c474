/**
 * ai: AI-result Observations on this study (Observation with a device, partOf / derivedFrom the
 * study): a category-1 finding scores ai.category1 × confidence, a category-2 one ai.category2 ×
 * confidence; the best one counts; negatives and unlisted findings add nothing, never subtract.
 */
import type { Observation } from '@medplum/fhirtypes';
import type { WorklistConfig } from './config.js';
import { confidenceOf, findingOf, type FindingKind } from './findings.js';
import { ref, refersTo, tenth } from './read.js';
import type { StudyRecord, Term } from './types.js';

/** The AI-result Observations about a study. */
export const aiObservationsOf = (observations: Observation[], studyRef: string): Observation[] =>
  observations.filter(
    (o) => !!o.device && [...(o.partOf ?? []), ...(o.derivedFrom ?? [])].some((x) => refersTo(x, studyRef)),
  );

export interface AiFinding {
  observation: Observation;
  kind: FindingKind;
  points: number;
  confidence: number;
}

export function aiFindings(r: StudyRecord, c: WorklistConfig): AiFinding[] {
  return aiObservationsOf(r.observations, ref(r.study)).flatMap((o) => {
    const kind = findingOf(o);
    if (!kind) return [];
    const confidence = confidenceOf(o) ?? c.ai.missingConfidence;
    const weight = kind.category === 1 ? c.ai.category1 : c.ai.category2;
    return [{ observation: o, kind, confidence, points: tenth(weight * confidence) }];
  });
}

export function aiTerm(findings: AiFinding[]): Term | undefined {
  if (!findings.length) return undefined;
  const best = findings.reduce((a, b) => (b.points > a.points ? b : a));
  return {
    term: 'ai',
    points: best.points,
    reason: `AI finding: ${best.kind.name} (category ${best.kind.category}, confidence ${best.confidence})`,
    evidence: [ref(best.observation)],
  };
}
