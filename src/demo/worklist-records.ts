/**
 * Worklist context in the demo (docs/worklist.md): a triage acuity (ESI, LOINC 75636-1) on the
 * emergency and observation arrivals, so the worklist has clinical signals to show beside the
 * orders' priorities, the ED / ICU / ward encounters and the flags the other records carry; and
 * a final report on the order of each study before a patient's latest, so those leave the unread list.
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

/** A final radiology report on an order (basedOn): the study it fulfils is read. */
export function reportOf(b: RecordBuilder, label: string, o: { order: string; at: number; text: string }): void {
  b.add(label, {
    resourceType: 'DiagnosticReport',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD' }] }],
    code: { coding: [{ system: LOINC, code: '18748-4', display: 'Diagnostic imaging study' }], text: o.text },
    basedOn: [{ reference: o.order }],
    subject: { reference: b.patientUrl },
    effectiveDateTime: new Date(o.at - 3 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    issued: new Date(o.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    conclusion: 'Reported (synthetic demo).',
  });
}
