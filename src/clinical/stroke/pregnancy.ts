/**
 * pregnancy: absent for a male patient or outside ages 12–55; present for an active pregnancy
 * condition or a positive hCG in the last 30 days; absent for a negative hCG within 7 days;
 * otherwise unknown.
 */
import type { Observation } from '@medplum/fhirtypes';
import { CODE_SETS } from './code-sets.js';
import table from './codes/observations.json' with { type: 'json' };
import { counts, effectiveOf } from './observations.js';
import { codings, conceptText, DAY, evidence, hasCode, LOINC, statusCode, time, within } from './read.js';
import type { Finding, RuleContext } from './types.js';

const HCG = new Set(table.hcg.loinc);
const POSITIVE = new Set(['10828004', 'POS', 'P', 'DET']);
const NEGATIVE = new Set(['260385009', 'NEG', 'N', 'ND']);

/** +1 positive, -1 negative, 0 neither (from a coded or text value, or the interpretation). */
function result(o: Observation): number {
  const codes = [...codings(o.valueCodeableConcept), ...(o.interpretation ?? []).flatMap((i) => codings(i))]
    .map((c) => c.code ?? '')
    .filter(Boolean);
  const text = (o.valueString ?? conceptText(o.valueCodeableConcept) ?? '').toLowerCase();
  if (codes.some((c) => POSITIVE.has(c)) || /^(positive|detected|pos)\b/.test(text)) return 1;
  if (codes.some((c) => NEGATIVE.has(c)) || /^(negative|not detected|neg)\b/.test(text)) return -1;
  return 0;
}

/** Whole years between a birth date and a time. */
function age(birthDate: string | undefined, at: number): number | undefined {
  const born = time(birthDate);
  if (born === undefined) return undefined;
  const b = new Date(born);
  const t = new Date(at);
  let years = t.getUTCFullYear() - b.getUTCFullYear();
  if (t.getUTCMonth() < b.getUTCMonth() || (t.getUTCMonth() === b.getUTCMonth() && t.getUTCDate() < b.getUTCDate()))
    years--;
  return years;
}

export function pregnancy(c: RuleContext): Finding {
  const p = c.record.patient;
  const patientEvidence = evidence(p, {
    display: [p.gender, p.birthDate].filter(Boolean).join(', ') || 'patient',
  });
  if (p.gender === 'male') return { status: 'absent', reason: 'male patient', evidence: [patientEvidence] };
  const years = age(p.birthDate, c.referenceTime);
  if (years !== undefined && (years < 12 || years > 55))
    return { status: 'absent', reason: `age ${years}, outside 12–55`, evidence: [patientEvidence] };
  const pregnant = (c.record.conditions ?? []).filter(
    (x) =>
      !['refuted', 'entered-in-error'].includes(statusCode(x.verificationStatus) ?? '') &&
      statusCode(x.clinicalStatus) === 'active' &&
      CODE_SETS.pregnancy.matches(x.code),
  );
  if (pregnant.length)
    return {
      status: 'present',
      reason: `active pregnancy condition: ${pregnant.map((x) => conceptText(x.code)).join('; ')}`,
      evidence: pregnant.map((x) => evidence(x, { display: conceptText(x.code), status: 'active' })),
    };
  const tests = (c.record.observations ?? [])
    .filter((o) => counts(o) && hasCode(o.code, LOINC, HCG))
    .map((o) => ({ o, at: time(effectiveOf(o)) }))
    .filter((t): t is { o: Observation; at: number } => t.at !== undefined)
    .sort((a, b) => b.at - a.at);
  const ev = (t: { o: Observation }) =>
    evidence(t.o, {
      display: conceptText(t.o.code),
      value: t.o.valueString ?? conceptText(t.o.valueCodeableConcept) ?? '',
      ...(effectiveOf(t.o) ? { effective: effectiveOf(t.o) } : {}),
    });
  const positive = tests.find((t) => result(t.o) > 0 && within(t.at, c.referenceTime - 30 * DAY, c.assessedAt));
  if (positive) return { status: 'present', reason: 'positive hCG within 30 days', evidence: [ev(positive)] };
  const negative = tests.find((t) => result(t.o) < 0 && within(t.at, c.referenceTime - 7 * DAY, c.assessedAt));
  if (negative) return { status: 'absent', reason: 'negative hCG within 7 days', evidence: [ev(negative)] };
  const why = [
    years === undefined ? 'age unknown' : `age ${years}`,
    p.gender ? `gender ${p.gender}` : 'gender unknown',
    c.record.conditions === null || c.record.observations === null
      ? 'part of the record could not be read'
      : 'no pregnancy condition and no hCG result',
  ];
  return { status: 'unknown', reason: why.join(', '), evidence: [patientEvidence] };
}
