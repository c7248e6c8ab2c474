/**
 * doac (48 h) and lmwh (24 h): a dose within the window before the reference time is present; an
 * active order or statement that gives no last-dose time is unknown; read medications with no such
 * drug, or only doses older than the window and nothing saying it continued, are absent.
 * EHRs send clinical-drug (product) codes: they are mapped to ingredients first.
 */
import type { CodeableConcept, Medication, Reference } from '@medplum/fhirtypes';
import { ingredientOf } from '../../context/ingredients.js';
import table from './codes/anticoagulants.json' with { type: 'json' };
import { ago, codings, conceptText, evidence, failed, HOUR, iso, time, when, within } from './read.js';
import type { Evidence, Finding, MedicationRecord, RuleContext } from './types.js';

type DrugClass = 'doac' | 'lmwh';
const ATC = 'http://www.whocc.no/atc';

const CLASSES = new Map(
  (['doac', 'lmwh'] as const).map((k) => {
    const t = table[k];
    return [
      k,
      {
        windowMs: t.windowHours * HOUR,
        label: k === 'doac' ? 'DOAC' : 'LMWH',
        rxnorm: new Map(t.ingredients.map((i) => [i.rxnorm, i.name])),
        atc: new Map(t.ingredients.map((i) => [i.atc, i.name])),
        names: new Set(t.ingredients.map((i) => i.name)),
      },
    ];
  }),
);

/** The ingredient of the class a medication concept names, if any (by ATC, RxNorm product/ingredient, or name). */
export function ingredientIn(concept: CodeableConcept | undefined, cls: DrugClass): string | undefined {
  if (!concept) return undefined;
  const c = CLASSES.get(cls)!;
  for (const x of codings(concept)) if (x.system === ATC && x.code && c.atc.has(x.code)) return c.atc.get(x.code);
  const ing = ingredientOf({
    coding: codings(concept).map((x) => ({
      ...(x.system ? { system: x.system } : {}),
      ...(x.code ? { code: x.code } : {}),
      ...(x.display ? { display: x.display } : {}),
    })),
    ...(conceptText(concept) ? { text: conceptText(concept) } : {}),
  });
  if (!ing) return undefined;
  if (ing.code && c.rxnorm.has(ing.code)) return c.rxnorm.get(ing.code);
  const name = ing.display.toLowerCase().split(/\s+/)[0];
  return c.names.has(name) ? name : undefined;
}

function medicationOf(
  r: { medicationCodeableConcept?: CodeableConcept; medicationReference?: Reference },
  meds: Medication[],
): CodeableConcept | undefined {
  if (r.medicationCodeableConcept) return r.medicationCodeableConcept;
  const target = r.medicationReference?.reference;
  return target
    ? meds.find((m) => target === `Medication/${m.id}` || target.endsWith(`/Medication/${m.id}`))?.code
    : undefined;
}

interface Dose {
  at: number;
  drug: string;
  evidence: Evidence;
}

function scan(m: MedicationRecord, cls: DrugClass) {
  const doses: Dose[] = [];
  const open: { drug: string; evidence: Evidence }[] = [];
  for (const a of m.administrations) {
    if (a.status === 'entered-in-error' || a.status === 'not-done') continue;
    const drug = ingredientIn(medicationOf(a, m.medications), cls);
    const effective = when(a.effectiveDateTime, a.effectivePeriod);
    const at = time(effective);
    if (!drug) continue;
    const ev = evidence(a, { display: `${drug} given`, ...(effective ? { effective } : {}) });
    if (at === undefined) open.push({ drug, evidence: ev });
    else doses.push({ at, drug, evidence: ev });
  }
  for (const s of m.statements) {
    if (s.status === 'entered-in-error' || s.status === 'not-taken') continue;
    const drug = ingredientIn(medicationOf(s, m.medications), cls);
    if (!drug) continue;
    // effectiveDateTime is the last time taken; an open period (no end) says it goes on, without a time.
    const effective = s.effectiveDateTime ?? s.effectivePeriod?.end;
    const at = time(effective);
    const ev = evidence(s, { display: `${drug} (statement)`, ...(effective ? { effective } : {}) });
    if (at === undefined) open.push({ drug, evidence: ev });
    else doses.push({ at, drug, evidence: ev });
  }
  for (const r of m.requests) {
    if (r.status !== 'active' && r.status !== 'on-hold') continue;
    const drug = ingredientIn(medicationOf(r, m.medications), cls);
    if (drug)
      open.push({
        drug,
        evidence: evidence(r, { display: `${drug} order`, ...(r.authoredOn ? { effective: r.authoredOn } : {}) }),
      });
  }
  return { doses, open };
}

function anticoagulant(c: RuleContext, cls: DrugClass): Finding {
  const m = c.record.medications;
  if (m === null) return { status: 'unknown', reason: failed(c.record.failures, 'medications'), evidence: [] };
  const { label, windowMs } = CLASSES.get(cls)!;
  const hours = windowMs / HOUR;
  if (m.requests.length + m.statements.length + m.administrations.length === 0)
    return { status: 'unknown', reason: 'no medication record at all (missing data, not absence)', evidence: [] };
  const { doses, open } = scan(m, cls);
  const recent = doses
    .filter((d) => within(d.at, c.referenceTime - windowMs, c.assessedAt))
    .sort((a, b) => b.at - a.at);
  if (recent.length)
    return {
      status: 'present',
      reason: `${recent[0].drug} taken at ${iso(recent[0].at)}, ${ago(recent[0].at, c.referenceTime)} before the reference time (within ${hours} h)`,
      evidence: recent.map((d) => d.evidence),
    };
  if (open.length)
    return {
      status: 'unknown',
      reason: `active ${open.map((o) => o.drug).join(', ')} order or statement with no last-dose time`,
      evidence: open.map((o) => o.evidence),
    };
  const last = doses.sort((a, b) => b.at - a.at)[0];
  if (last)
    return {
      status: 'absent',
      reason: `last ${last.drug} dose at ${iso(last.at)}, ${ago(last.at, c.referenceTime)} before the reference time (more than ${hours} h) and no active order`,
      evidence: [last.evidence],
    };
  return { status: 'absent', reason: `no ${label} in the medication record`, evidence: [] };
}

export const doac = (c: RuleContext): Finding => anticoagulant(c, 'doac');
export const lmwh = (c: RuleContext): Finding => anticoagulant(c, 'lmwh');
