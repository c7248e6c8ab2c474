/**
 * clinical: triage acuity ESI 1–2 (Observation LOINC 75636-1, the latest within clinical.esiHours)
 * +10 (an ESI of a current encounter counts however old); the patient's active flags: pre-op or pending discharge +10, tumor board within 48 h +8
 * (a flag without a period end counts while it is active). One term per rule that applies.
 */
import type { Observation } from '@medplum/fhirtypes';
import type { WorklistConfig } from './config.js';
import { activeFlag, codings, HOUR, matches, ref, texts, time } from './read.js';
import type { StudyRecord, Term } from './types.js';

const LOINC = 'http://loinc.org';
const ESI_CODE = '75636-1';
const COUNTED = new Set(['final', 'amended', 'corrected', 'preliminary']);

export const isEsi = (o: Observation): boolean =>
  codings(o.code).some((c) => c.system === LOINC && c.code === ESI_CODE);

/** ESI level 1–5 from an integer, a quantity, or a coded / text answer ("2", "ESI 2", "Level 2 …"). */
export function esiLevel(o: Observation): number | undefined {
  const n = o.valueInteger ?? o.valueQuantity?.value;
  if (typeof n === 'number') return Number.isInteger(n) && n >= 1 && n <= 5 ? n : undefined;
  const words = [...codings(o.valueCodeableConcept).map((c) => c.code ?? ''), ...texts(o.valueCodeableConcept)];
  if (o.valueString) words.push(o.valueString);
  for (const w of words) {
    const m = /^(?:esi\s*|level\s*)?([1-5])\b/i.exec(w.trim());
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** The latest ESI of the current encounter, else one recorded within clinical.esiHours. */
function esiTerm(r: StudyRecord, c: WorklistConfig, now: number): Term | undefined {
  const current = new Set(r.encounters.filter((e) => c.setting.encounterStatuses.includes(e.status)).map((e) => e.id));
  const recent = r.observations
    .filter((o) => isEsi(o) && COUNTED.has(o.status))
    .map((o) => ({ o, at: time(o.effectiveDateTime ?? o.issued) ?? 0 }))
    .filter(
      (x) =>
        current.has(/(?:^|\/)Encounter\/([^/]+)$/.exec(x.o.encounter?.reference ?? '')?.[1] ?? '') ||
        (x.at >= now - c.clinical.esiHours * HOUR && x.at <= now + HOUR),
    )
    .sort((a, b) => b.at - a.at)[0];
  if (!recent) return undefined;
  const level = esiLevel(recent.o);
  if (level === undefined || level > c.clinical.esiMax) return undefined;
  return { term: 'clinical', points: c.clinical.esi, reason: `triage acuity ESI ${level}`, evidence: [ref(recent.o)] };
}

export function clinicalTerms(r: StudyRecord, c: WorklistConfig, now: number): Term[] {
  const out: Term[] = [];
  const esi = esiTerm(r, c, now);
  if (esi) out.push(esi);
  for (const [name, rule] of c.clinical.flags) {
    const flags = r.flags.filter((f) => {
      if (!activeFlag(f, now) || !matches(f.code, rule)) return false;
      const end = time(f.period?.end);
      return rule.withinHours === 0 || end === undefined || end <= now + rule.withinHours * HOUR;
    });
    if (flags.length)
      out.push({
        term: 'clinical',
        points: rule.points,
        reason: `${name} flag: ${flags.map((f) => texts(f.code)[0] ?? name).join('; ')}`,
        evidence: flags.map(ref),
      });
  }
  return out;
}
