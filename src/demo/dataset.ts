import { facilityEntries } from './facility.js';
import { generalRecord, GENERAL_SCENARIOS } from './general-records.js';
import { ONCOLOGY_COUNT, oncologyRecord, oncologySex } from './oncology-records.js';
import { demoPatient } from './patients.js';
import { Rng } from './prng.js';
import { strokeRecord, STROKE_SCENARIOS } from './stroke-records.js';
import type { Cohort, DemoDataset, PatientRecord } from './types.js';

export const DEMO_SEED = 20250310;
/** "Now" of the dataset: recent events sit just before it. Fixed, so every load writes the same records. */
export const DEMO_ANCHOR = Date.parse('2025-03-10T12:00:00Z');

export interface DemoOptions {
  seed?: number;
  anchor?: number;
}

/**
 * The synthetic demo dataset, a pure function of seed and anchor: 20 stroke candidates,
 * 15 oncology patients and 15 ICU / ward / observation / outpatient patients, their records,
 * orders and imaging studies. No real person's data.
 */
export function demoDataset(options: DemoOptions = {}): DemoDataset {
  const seed = options.seed ?? DEMO_SEED;
  const anchor = options.anchor ?? DEMO_ANCHOR;
  const records: PatientRecord[] = [];
  const cohorts: [Cohort, string, number, typeof strokeRecord][] = [
    ['stroke', 'S', STROKE_SCENARIOS.length, strokeRecord],
    ['oncology', 'O', ONCOLOGY_COUNT, oncologyRecord],
    ['general', 'G', GENERAL_SCENARIOS.length, generalRecord],
  ];
  for (const [cohort, prefix, count, build] of cohorts) {
    for (let i = 0; i < count; i++) {
      const number = records.length + 1;
      const key = `${prefix}${String(i + 1).padStart(2, '0')}`;
      const rng = Rng.for(seed, key);
      const sex = cohort === 'oncology' ? oncologySex(i) : undefined;
      const patient = demoPatient(rng, { key, number, cohort, anchor, sex });
      records.push(build(rng, patient, number, i, anchor));
    }
  }
  return { facility: facilityEntries(), records };
}
