/**
 * The history factors, from Condition and Procedure: the date is onsetDateTime, else recordedDate
 * (a Procedure's performed time); refuted and entered-in-error are ignored; a dated match outside
 * the factor's window is absent for it, an undated one unknown. A record with no Condition and no
 * Procedure at all is missing data: unknown, never absent.
 */
import type { CodeableConcept, Condition, Procedure } from '@medplum/fhirtypes';
import { CODE_SETS, type CodeSet } from './code-sets.js';
import { ago, conceptText, DAY, evidence, failed, iso, statusCode, time, within } from './read.js';
import type { Evidence, Finding, RuleContext } from './types.js';

const IGNORED = new Set(['refuted', 'entered-in-error']);
const ACTIVE = new Set(['active', 'recurrence', 'relapse']);

/** A Condition or Procedure of the record, read once. */
interface Entry {
  code?: CodeableConcept;
  at?: number;
  /** Condition clinicalStatus; undefined for procedures. */
  clinical?: string;
  evidence: Evidence;
}

function entries(c: RuleContext): Entry[] {
  const out: Entry[] = [];
  for (const x of c.record.conditions ?? []) {
    if (IGNORED.has(statusCode(x.verificationStatus) ?? '')) continue;
    const date = x.onsetDateTime ?? x.onsetPeriod?.start ?? x.recordedDate;
    out.push(entry(x, date, statusCode(x.clinicalStatus)));
  }
  for (const p of c.record.procedures ?? []) {
    if (p.status === 'entered-in-error' || p.status === 'not-done') continue;
    out.push(entry(p, p.performedDateTime ?? p.performedPeriod?.start));
  }
  return out;
}

function entry(r: Condition | Procedure, date: string | undefined, clinical?: string): Entry {
  return {
    code: r.code,
    at: time(date),
    ...(clinical ? { clinical } : {}),
    evidence: evidence(r, {
      display: conceptText(r.code),
      ...(date ? { effective: date } : {}),
      ...(clinical ? { status: clinical } : r.resourceType === 'Procedure' ? { status: r.status } : {}),
    }),
  };
}

/** Unknown when a source failed or the record holds nothing at all; otherwise undefined (go on). */
function missing(c: RuleContext, procedures = false): Finding | undefined {
  const { conditions, procedures: procs } = c.record;
  if (conditions === null || (procedures && procs === null))
    return {
      status: 'unknown',
      reason: failed(c.record.failures, ...(procedures ? ['conditions', 'procedures'] : ['conditions'])),
      evidence: [],
    };
  if (conditions.length + (procs?.length ?? 0) === 0)
    return {
      status: 'unknown',
      reason: 'no Condition or Procedure in the record at all (missing data, not absence)',
      evidence: [],
    };
  return undefined;
}

interface Windowed {
  present: Entry[];
  undated: Entry[];
  outside: Entry[];
}

function inWindow(list: Entry[], set: CodeSet, c: RuleContext, days: number): Windowed {
  const hits = list.filter((e) => set.matches(e.code));
  const from = c.referenceTime - days * DAY;
  return {
    present: hits.filter((e) => e.at !== undefined && within(e.at, from, c.assessedAt)),
    undated: hits.filter((e) => e.at === undefined),
    outside: hits.filter((e) => e.at !== undefined && !within(e.at, from, c.assessedAt)),
  };
}

const dated = (e: Entry, c: RuleContext) =>
  e.at === undefined ? 'undated' : `${iso(e.at)}, ${ago(e.at, c.referenceTime)} before`;
const names = (l: Entry[], c: RuleContext) =>
  l.map((e) => `${e.evidence.display ?? e.evidence.reference} (${dated(e, c)})`).join('; ');

/** A factor counted over a window of days (or ever). */
function windowed(c: RuleContext, set: CodeSet, days: number, procedures = false): Finding {
  const m = missing(c, procedures);
  if (m) return m;
  const w = inWindow(entries(c), set, c, days);
  const span = Number.isFinite(days) ? `within ${days} days` : 'ever';
  if (w.present.length)
    return {
      status: 'present',
      reason: `${set.name} ${span}: ${names(w.present, c)}`,
      evidence: w.present.map((e) => e.evidence),
    };
  if (w.undated.length)
    return {
      status: 'unknown',
      reason: `${set.name} without a date: ${names(w.undated, c)}`,
      evidence: w.undated.map((e) => e.evidence),
    };
  if (w.outside.length)
    return {
      status: 'absent',
      reason: `${set.name} only outside the window (${span}): ${names(w.outside, c)}`,
      evidence: w.outside.map((e) => e.evidence),
    };
  return { status: 'absent', reason: `no ${set.name} in the record`, evidence: [] };
}

/** A factor that counts while the condition is active (clinicalStatus). */
function active(c: RuleContext, set: CodeSet): Finding {
  const m = missing(c);
  if (m) return m;
  const hits = entries(c).filter((e) => e.evidence.reference.startsWith('Condition/') && set.matches(e.code));
  const on = hits.filter((e) => e.clinical && ACTIVE.has(e.clinical));
  if (on.length)
    return { status: 'present', reason: `active ${set.name}: ${names(on, c)}`, evidence: on.map((e) => e.evidence) };
  const unsure = hits.filter((e) => !e.clinical);
  if (unsure.length)
    return {
      status: 'unknown',
      reason: `${set.name} without a clinical status: ${names(unsure, c)}`,
      evidence: unsure.map((e) => e.evidence),
    };
  if (hits.length)
    return {
      status: 'absent',
      reason: `${set.name} no longer active: ${names(hits, c)}`,
      evidence: hits.map((e) => e.evidence),
    };
  return { status: 'absent', reason: `no ${set.name} in the record`, evidence: [] };
}

/** The unspecified-stroke rule: a CVA of unspecified type never lets a stroke factor be absent. */
function unspecifiedStroke(f: Finding, c: RuleContext, days: number): Finding {
  if (f.status !== 'absent' || c.record.conditions === null) return f;
  const w = inWindow(entries(c), CODE_SETS.cvaUnspecified, c, days);
  const hits = [...w.present, ...w.undated];
  if (!hits.length) return f;
  return {
    status: 'unknown',
    reason: `cerebrovascular accident of unspecified type (could be ${days === Infinity ? 'hemorrhagic' : 'ischemic'}): ${names(hits, c)}`,
    evidence: hits.map((e) => e.evidence),
  };
}

export const priorIch = (c: RuleContext): Finding =>
  unspecifiedStroke(windowed(c, CODE_SETS.intracranialHemorrhage, Infinity), c, Infinity);

export const recentIschemicStroke = (c: RuleContext): Finding =>
  unspecifiedStroke(windowed(c, CODE_SETS.ischemicStroke, 90), c, 90);

/** 2026 tiers trauma and surgery by recency: within 14 days is the `recent` variant (◐). */
function recency(f: Finding, c: RuleContext): Finding {
  if (f.status !== 'present') return f;
  const newest = Math.max(...f.evidence.map((e) => time(e.effective) ?? -Infinity));
  return newest >= c.referenceTime - 14 * DAY ? { ...f, variant: 'recent' } : f;
}

export const headTrauma = (c: RuleContext): Finding => recency(windowed(c, CODE_SETS.headTrauma, 90), c);
export const intracranialSurgery = (c: RuleContext): Finding =>
  recency(windowed(c, CODE_SETS.intracranialSurgery, 90, true), c);

export function giBleedOrMalignancy(c: RuleContext): Finding {
  const bleed = windowed(c, CODE_SETS.giBleed, 21);
  const cancer = active(c, CODE_SETS.giMalignancy);
  const both = [bleed, cancer];
  const pick = both.find((f) => f.status === 'present') ?? both.find((f) => f.status === 'unknown');
  if (pick) return pick;
  return {
    status: 'absent',
    reason: `${bleed.reason}; ${cancer.reason}`,
    evidence: [...bleed.evidence, ...cancer.evidence],
  };
}

export const aorticDissection = (c: RuleContext): Finding => active(c, CODE_SETS.aorticDissection);
export const endocarditis = (c: RuleContext): Finding => active(c, CODE_SETS.endocarditis);

export function intracranialNeoplasm(c: RuleContext): Finding {
  const intra = active(c, CODE_SETS.intraAxialNeoplasm);
  if (intra.status === 'present') return intra;
  const extra = active(c, CODE_SETS.extraAxialNeoplasm);
  if (extra.status === 'present') return { ...extra, variant: 'extra-axial' };
  if (intra.status === 'unknown') return intra;
  if (extra.status === 'unknown') return { ...extra, variant: 'extra-axial' };
  return intra;
}
