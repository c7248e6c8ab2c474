/**
 * Worklist context in the demo (docs/worklist.md): a triage acuity (ESI, LOINC 75636-1) on the
 * emergency and observation arrivals, so the worklist has clinical signals to show beside the
 * orders' priorities, the ED / ICU / ward encounters and the flags the other records carry.
 */
import { LOINC } from './codes.js';
import type { RecordBuilder } from './record-builder.js';

export const ESI = { system: LOINC, code: '75636-1', display: 'Emergency severity index [ESI]' };

/** ESI per setting: trauma 1, ICU admissions 2 (through the ED), observation 3; none for planned care. */
const LEVEL = new Map<string, number>([
  ['trauma', 1],
  ['icu', 2],
  ['observation', 3],
]);

export function addWorklistContext(b: RecordBuilder, o: { setting: string; start: number; encounter: string }): void {
  const level = LEVEL.get(o.setting);
  if (level !== undefined) b.score('esi', ESI, level, o.start + 5 * 60_000, o.encounter);
}
