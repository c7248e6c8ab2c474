/**
 * Adult reference ranges of the demo labs, by LOINC code, in the unit the demo records them in.
 * Typical laboratory values for made-up data (they vary by laboratory and method); a tumour
 * marker has an upper limit only. A value recorded in another unit gets no range.
 */
export interface DemoRange {
  low?: number;
  high?: number;
  unit: string;
}

export const REFERENCE_RANGES = new Map<string, DemoRange>([
  ['777-3', { low: 150, high: 400, unit: '10*3/uL' }], // platelets
  ['6301-6', { low: 0.8, high: 1.2, unit: '{INR}' }],
  ['3173-2', { low: 25, high: 35, unit: 's' }], // aPTT
  ['5902-2', { low: 11, high: 13.5, unit: 's' }], // PT
  ['2339-0', { low: 70, high: 140, unit: 'mg/dL' }], // glucose, random
  ['2160-0', { low: 0.6, high: 1.2, unit: 'mg/dL' }], // creatinine
  ['718-7', { low: 12, high: 17.5, unit: 'g/dL' }], // hemoglobin
  ['2039-6', { high: 3, unit: 'ng/mL' }], // CEA
  ['24108-3', { high: 37, unit: 'U/mL' }], // CA 19-9
  ['10334-1', { high: 35, unit: 'U/mL' }], // CA 125
  ['2857-1', { high: 4, unit: 'ng/mL' }], // PSA
  ['6875-9', { high: 30, unit: 'U/mL' }], // CA 15-3
]);

/** The FHIR Observation.referenceRange of a demo value, when its code has one in this unit. */
export function referenceRangeOf(code: string | undefined, unit: string, ucum: string): Record<string, unknown>[] {
  const r = code === undefined ? undefined : REFERENCE_RANGES.get(code);
  if (!r || r.unit !== unit) return [];
  const q = (value: number) => ({ value, unit, system: ucum, code: unit });
  return [{ ...(r.low !== undefined ? { low: q(r.low) } : {}), ...(r.high !== undefined ? { high: q(r.high) } : {}) }];
}
