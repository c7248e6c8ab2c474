/**
 * Lab and vital-sign values for the rules: the readings of one analyte in the window (24 h before
 * the reference time up to the assessment), converted to the unit the rules compare in; the
 * latest counts. Entered-in-error and cancelled results are ignored; preliminary ones count.
 */
import type { Observation, ObservationComponent, Quantity } from '@medplum/fhirtypes';
import { own } from '../../core/own.js';
import table from './codes/observations.json' with { type: 'json' };
import { DAY, evidence, hasCode, LOINC, time, when, within } from './read.js';
import type { Evidence, RuleContext } from './types.js';

export type Analyte = keyof typeof table.analytes;
const IGNORED = new Set(['entered-in-error', 'cancelled']);
const LAB_WINDOW = DAY;

export interface Reading {
  value: number;
  unit: string;
  at: number;
  evidence: Evidence;
  preliminary: boolean;
  /** The value as recorded, when it was converted. */
  original?: { value: number; unit: string };
}

const CODES = new Map(Object.entries(table.analytes).map(([a, t]) => [a, new Set(t.loinc)]));
const codesOf = (a: Analyte) => CODES.get(a)!;
const PANEL = new Set(table.bloodPressurePanel);

/** A quantity in the analyte's unit, or undefined when its unit is not one we can convert. */
function convert(
  a: Analyte,
  q: Quantity | undefined,
): { value: number; original?: { value: number; unit: string } } | undefined {
  if (typeof q?.value !== 'number') return undefined;
  const unit = q.code ?? q.unit ?? '';
  const factor = own(table.analytes[a].from, unit) ?? own(table.analytes[a].from, q.unit ?? '');
  if (factor === undefined) return undefined;
  if (factor === 1) return { value: q.value };
  return { value: Number((q.value * factor).toPrecision(4)), original: { value: q.value, unit: q.unit ?? unit } };
}

export const counts = (o: Observation): boolean => !IGNORED.has(o.status);

export const effectiveOf = (o: Observation): string | undefined =>
  when(o.effectiveDateTime, o.effectivePeriod, o.effectiveInstant) ?? o.issued;

export interface ReadingsOf {
  readings: Reading[];
  /** Values in the window whose unit could not be converted (they do not count; named in the reason). */
  unconvertible: Evidence[];
}

/** Readings of an analyte in the window, newest first: separate Observations and panel components. */
export function readings(c: RuleContext, a: Analyte): ReadingsOf {
  const codes = codesOf(a);
  const from = c.referenceTime - LAB_WINDOW;
  const out: ReadingsOf = { readings: [], unconvertible: [] };
  for (const o of c.record.observations ?? []) {
    if (!counts(o)) continue;
    // The codes first: most of the record is other analytes, and a code is cheaper to check than a date.
    const sources: { q?: Quantity; code: Observation['code'] | ObservationComponent['code'] }[] = [];
    if (hasCode(o.code, LOINC, codes)) sources.push({ q: o.valueQuantity, code: o.code });
    if (a === 'systolic' || a === 'diastolic' || hasCode(o.code, LOINC, PANEL))
      for (const comp of o.component ?? [])
        if (hasCode(comp.code, LOINC, codes)) sources.push({ q: comp.valueQuantity, code: comp.code });
    if (!sources.length) continue;
    const effective = effectiveOf(o);
    const at = time(effective);
    if (at === undefined || !within(at, from, c.assessedAt)) continue;
    for (const s of sources) {
      const converted = convert(a, s.q);
      const ev = evidence(o, {
        display: s.code?.text ?? s.code?.coding?.[0]?.display,
        ...(typeof s.q?.value === 'number' ? { value: s.q.value } : {}),
        ...(s.q?.code || s.q?.unit ? { unit: s.q.code ?? s.q.unit } : {}),
        ...(effective ? { effective } : {}),
      });
      if (!converted) {
        if (typeof s.q?.value === 'number') out.unconvertible.push(ev);
        continue;
      }
      out.readings.push({
        value: converted.value,
        unit: table.analytes[a].unit,
        at,
        evidence: ev,
        preliminary: o.status === 'preliminary',
        ...(converted.original ? { original: converted.original } : {}),
      });
    }
  }
  out.readings.sort((x, y) => y.at - x.at || x.evidence.reference.localeCompare(y.evidence.reference));
  return out;
}

/** "85 10*3/uL at 2026-…" with the conversion and the preliminary label when they apply. */
export function describe(r: Reading): string {
  const original = r.original ? ` (${r.original.value} ${r.original.unit})` : '';
  const prelim = r.preliminary ? ' [preliminary]' : '';
  return `${r.value} ${r.unit}${original} at ${new Date(r.at).toISOString()}${prelim}`;
}
