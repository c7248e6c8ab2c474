/**
 * Unit normalization of lab and vital-sign values: each known LOINC code has one unit we report
 * in; values in another unit are converted (the original kept beside it). Unknown codes keep
 * their unit; only UCUM spelling variants are folded.
 */
import { own } from '../core/own.js';
const LOINC = 'http://loinc.org';

interface Rule {
  unit: string;
  /** Factor from another unit to `unit`. */
  from: Record<string, number>;
}

const RULES: Record<string, Rule> = {
  '2339-0': { unit: 'mg/dL', from: { 'mmol/L': 18.016, 'mg/L': 0.1 } }, // glucose
  '2345-7': { unit: 'mg/dL', from: { 'mmol/L': 18.016 } }, // glucose, serum/plasma
  '2160-0': { unit: 'mg/dL', from: { 'umol/L': 1 / 88.42, 'mmol/L': 1000 / 88.42 } }, // creatinine
  '718-7': { unit: 'g/dL', from: { 'g/L': 0.1, 'mmol/L': 1.611, 'mg/dL': 0.001 } }, // hemoglobin
  '777-3': { unit: '10*3/uL', from: { '10*9/L': 1, '/uL': 0.001, '10^9/L': 1 } }, // platelets
  '6301-6': { unit: '{INR}', from: { '1': 1, '{ratio}': 1, '': 1 } }, // INR
  '8480-6': { unit: 'mm[Hg]', from: { mmHg: 1, kPa: 7.50062 } }, // systolic
  '8462-4': { unit: 'mm[Hg]', from: { mmHg: 1, kPa: 7.50062 } }, // diastolic
  '8310-5': { unit: 'Cel', from: { '°C': 1 } }, // body temperature (°F needs an offset: below)
  '29463-7': { unit: 'kg', from: { '[lb_av]': 0.45359237, lb: 0.45359237, g: 0.001 } }, // body weight
  '8302-2': { unit: 'cm', from: { '[in_i]': 2.54, m: 100, in: 2.54 } }, // body height
};

/** Common non-UCUM spellings → UCUM. */
const SPELLING: Record<string, string> = {
  mmHg: 'mm[Hg]',
  'mm Hg': 'mm[Hg]',
  '°C': 'Cel',
  degC: 'Cel',
  '°F': '[degF]',
  degF: '[degF]',
  'x10^9/L': '10*9/L',
  'K/uL': '10*3/uL',
  '10^3/uL': '10*3/uL',
  'mg/dl': 'mg/dL',
  'g/dl': 'g/dL',
};

export interface NormalizedQuantity {
  value: number;
  unit: string | undefined;
  /** The value as recorded, when it was converted. */
  original?: { value: number; unit: string | undefined };
}

/** 4 significant digits after conversion: enough for any lab, and no float noise (43.2384 → 43.24). */
const round = (n: number): number => Number(n.toPrecision(4));

export function normalizeQuantity(
  system: string | undefined,
  code: string | undefined,
  value: number,
  unit: string | undefined,
): NormalizedQuantity {
  const spelled = unit === undefined ? undefined : (own(SPELLING, unit) ?? unit);
  const rule = system === LOINC && code ? own(RULES, code) : undefined;
  if (!rule || spelled === rule.unit) return { value, unit: spelled };
  if (code === '8310-5' && spelled === '[degF]')
    return { value: round(((value - 32) * 5) / 9), unit: 'Cel', original: { value, unit } };
  const factor = own(rule.from, spelled ?? '') ?? own(rule.from, unit ?? '');
  if (factor === undefined) return { value, unit: spelled };
  return { value: round(value * factor), unit: rule.unit, original: { value, unit } };
}
