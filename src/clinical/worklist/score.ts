/**
 * The worklist score, S = order + setting + override + ai + clinical + novelty + aging, each term
 * with its reason and evidence (the terms always add up to the score). Aging moves with the clock,
 * so a study's base score is kept and aging is added when the list is read.
 */
import { aiFindings, aiTerm } from './ai.js';
import { agingTerm } from './aging.js';
import { clinicalTerms } from './clinical.js';
import type { WorklistConfig } from './config.js';
import { noveltyTerms } from './novelty.js';
import { orderTerm } from './order.js';
import { overrideTerm } from './override.js';
import { ref, studyStart, tenth } from './read.js';
import { settingTerm } from './setting.js';
import type { BaseScore, Score, StudyRecord, Term, Tier } from './types.js';

/** Everything but aging, at `now` (flags and triage are read as they stand then). */
export function baseScore(r: StudyRecord, c: WorklistConfig, now: number): BaseScore {
  const setting = settingTerm(r, c);
  const order = orderTerm(r, c, setting.acute);
  const routine = order.priority === 'routine' || (order.priority === undefined && !setting.acute);
  const override = overrideTerm(r, c, now);
  const found = aiFindings(r, c);
  const terms = [
    order.term,
    setting.term,
    override,
    aiTerm(found),
    ...clinicalTerms(r, c, now),
    ...noveltyTerms(r, c, routine, found),
  ].filter((t): t is Term => !!t);
  return { terms, overridden: !!override, routine };
}

/** When aging counts from: the study's arrival, else its start. */
export const waitingSince = (r: Pick<StudyRecord, 'study' | 'received'>): number | undefined =>
  r.received ?? studyStart(r.study);

/** The base score plus aging at `now`. */
export function withAging(
  base: BaseScore,
  since: number | undefined,
  studyRef: string,
  c: WorklistConfig,
  now: number,
): Score {
  const aging = agingTerm(since, base.routine, c, now, studyRef);
  const terms = aging ? [...base.terms, aging] : base.terms;
  const score = tenth(terms.reduce((s, t) => s + t.points, 0));
  // Spelled out, not `{ ...base, terms, … }`: V8 gave each spread copy that overrides `terms` a hidden
  // class of its own (≈ 200 bytes per study on the worklist, one per row: issue 21, session 20).
  return { terms, overridden: base.overridden, routine: base.routine, score, tier: tierOf(score, base.overridden, c) };
}

export function scoreStudy(r: StudyRecord, c: WorklistConfig, now: number): Score {
  return withAging(baseScore(r, c, now), waitingSince(r), ref(r.study), c, now);
}

export function tierOf(score: number, overridden: boolean, c: WorklistConfig): Tier {
  if (overridden || score >= c.tiers['read-now']) return 'read-now';
  if (score >= c.tiers['within-1h']) return 'within-1h';
  if (score >= c.tiers['this-shift']) return 'this-shift';
  return 'routine';
}

export interface Rankable {
  overridden: boolean;
  score: number;
  /** Epoch ms the study started / arrived (older first on ties); undefined sorts last. */
  since?: number;
  key: string;
}

/** Worklist order: overrides first, then score, then the older study, then a stable key. */
export function compareRank(a: Rankable, b: Rankable): number {
  if (a.overridden !== b.overridden) return a.overridden ? -1 : 1;
  if (a.score !== b.score) return b.score - a.score;
  const sa = a.since ?? Number.POSITIVE_INFINITY;
  const sb = b.since ?? Number.POSITIVE_INFINITY;
  if (sa !== sb) return sa - sb;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
