import { ANTICOAGULANTS, CONDITIONS, LABS, PROCEDURES, VITALS } from './codes.js';
import type { Rng } from './prng.js';
import { DAY, HOUR, RecordBuilder } from './record-builder.js';
import type { DemoPatient, PatientRecord } from './types.js';

const MIN = 60_000;

/** What sets one stroke candidate apart; the rest of the record is a typical code-stroke work-up. */
interface StrokeScenario {
  /** Lab values that replace the normal ones; `null` leaves the lab out. */
  labs?: { platelets?: number | null; inr?: number | null; glucose?: number | null; glucoseMmol?: number };
  bp?: [number, number];
  /** No labs or vitals at all: every lab-based rule must say unknown. */
  noWorkup?: boolean;
  /** The rest of the story: history, medication, oddities. */
  extra?: (b: RecordBuilder, t0: number, ed: string, rng: Rng) => void;
  /** Admitted to the ICU rather than the stroke unit. */
  icu?: boolean;
}

/** Twenty stroke candidates, each exercising one thrombolysis rule (clinical-rules.md §1). */
export const STROKE_SCENARIOS: StrokeScenario[] = [
  /* S01 */ {},
  /* S02 */ {
    extra: (b, t0) =>
      void b.medicationStatement('apixaban-home', ANTICOAGULANTS.apixaban, t0 - 10 * HOUR, t0 - 20 * MIN),
  },
  /* S03 */ {
    extra: (b, t0) =>
      void b.medicationRequest('apixaban-order', ANTICOAGULANTS.apixaban, {
        authored: t0 - 200 * DAY,
        status: 'active',
        dosage: '5 mg twice daily',
        requester: 'internist',
      }),
  },
  /* S04 */ {
    extra: (b, t0) => {
      const stay = b.encounter('enc-prior-stay', {
        cls: 'inpatient',
        start: t0 - 6 * DAY,
        end: t0 - 2 * DAY,
        location: 'ward',
        reason: 'Atrial fibrillation with rapid ventricular response',
      });
      b.condition('af', CONDITIONS.atrialFibrillation, {
        onset: t0 - 6 * DAY,
        recorded: t0 - 6 * DAY,
        encounter: stay,
      });
      b.medicationAdministration('apixaban-last-dose', ANTICOAGULANTS.apixaban, t0 - 72 * HOUR, 5, 'by mouth', stay);
    },
  },
  /* S05 */ {
    labs: { inr: 2.6 },
    extra: (b, t0) =>
      void b.medicationRequest('warfarin-order', ANTICOAGULANTS.warfarin, {
        authored: t0 - 400 * DAY,
        status: 'active',
        dosage: '5 mg once daily',
        requester: 'internist',
      }),
  },
  /* S06 */ {
    labs: { inr: 1.3 },
    extra: (b, t0) =>
      void b.medicationRequest('warfarin-order', ANTICOAGULANTS.warfarin, {
        authored: t0 - 90 * DAY,
        status: 'active',
        dosage: '5 mg once daily',
        requester: 'internist',
      }),
  },
  /* S07 */ {
    extra: (b, t0) =>
      void b.condition('prior-ich', CONDITIONS.cerebralHemorrhage, {
        onset: t0 - 5 * 365 * DAY,
        recorded: t0 - 5 * 365 * DAY,
        resolved: t0 - 5 * 365 * DAY + 30 * DAY,
      }),
  },
  /* S08 */ {
    extra: (b, t0) => {
      b.medicationRequest('rivaroxaban-order', ANTICOAGULANTS.rivaroxaban, {
        authored: t0 - 30 * DAY,
        status: 'active',
        dosage: '10 mg once daily',
        requester: 'internist',
      });
      b.medicationAdministration('rivaroxaban-last-dose', ANTICOAGULANTS.rivaroxaban, t0 - 20 * HOUR, 10, 'by mouth');
    },
  },
  /* S09 */ { labs: { platelets: 78 } },
  /* S10 */ { labs: { glucose: 42 } },
  /* S11 */ { labs: { glucose: null, glucoseMmol: 2.4 } },
  /* S12 */ { bp: [205, 115], icu: true },
  /* S13 */ {
    extra: (b, t0) =>
      void b.condition('ischemic-stroke-60d', CONDITIONS.ischemicStroke, {
        onset: t0 - 60 * DAY,
        recorded: t0 - 59 * DAY,
      }),
  },
  /* S14 */ {
    extra: (b, t0) =>
      void b.condition('cva-unspecified', CONDITIONS.cvaUnspecified, {
        onset: t0 - 4 * 365 * DAY,
        recorded: t0 - 4 * 365 * DAY,
      }),
  },
  /* S15 */ {
    extra: (b, t0) =>
      void b.condition('gi-bleed', CONDITIONS.giBleed, { onset: t0 - 10 * DAY, recorded: t0 - 10 * DAY }),
  },
  /* S16 */ {
    extra: (b, t0) =>
      void b.medicationAdministration(
        'enoxaparin-dose',
        ANTICOAGULANTS.enoxaparin,
        t0 - 12 * HOUR,
        80,
        'subcutaneously (treatment dose, 1 mg/kg)',
      ),
  },
  /* S17 */ {
    extra: (b, t0, ed) =>
      void b.measure('plt-error', LABS.platelets, 45, t0 - 40 * MIN, { encounter: ed, status: 'entered-in-error' }),
  },
  /* S18 */ {
    labs: { inr: null },
    extra: (b, t0, ed) =>
      void b.measure('inr-prelim', LABS.inr, 1.9, t0 - 10 * MIN, { encounter: ed, status: 'preliminary' }),
  },
  /* S19 */ { noWorkup: true },
  /* S20 */ {
    icu: true,
    extra: (b, t0) => {
      b.condition('glioma', CONDITIONS.brainTumour, {
        onset: t0 - 120 * DAY,
        recorded: t0 - 118 * DAY,
        note: 'Intra-axial left frontal glioma.',
      });
      b.procedure('craniotomy', PROCEDURES.craniotomy, {
        start: t0 - 45 * DAY,
        end: t0 - 45 * DAY + 4 * HOUR,
        note: 'Left frontal craniotomy, partial resection.',
      });
      b.medicationRequest('dabigatran-order', ANTICOAGULANTS.dabigatran, {
        authored: t0 - 20 * DAY,
        status: 'active',
        dosage: '150 mg twice daily',
        requester: 'internist',
      });
    },
  },
];

/** One code-stroke: ED visit, flag, CT head (CTA for some), labs and vitals, then admission. `t0` is the CT's start. */
export function strokeRecord(
  rng: Rng,
  patient: DemoPatient,
  number: number,
  index: number,
  anchor: number,
): PatientRecord {
  const s = STROKE_SCENARIOS[index];
  const b = new RecordBuilder(patient, number);
  // The first four are still in the ED at the anchor time; the others were days to weeks ago.
  const t0 =
    index < 4 ? anchor - rng.int(30, 300) * MIN : anchor - (index * 2 + rng.int(0, 1)) * DAY - rng.int(0, 23) * HOUR;
  const current = index < 4;
  const edEnd = current ? undefined : t0 + rng.int(120, 240) * MIN;
  const ed = b.encounter('enc-ed', {
    cls: 'emergency',
    start: t0 - 45 * MIN,
    end: edEnd,
    location: 'ed',
    reason: 'Acute focal neurological deficit',
    priority: 'EM',
  });
  b.flag('flag-code-stroke', {
    code: 'code-stroke',
    text: 'Code stroke activated',
    category: 'clinical',
    start: t0 - 40 * MIN,
    end: edEnd,
    encounter: ed,
  });
  s.extra?.(b, t0, ed, rng);
  if (!s.noWorkup) {
    const [sys, dia] = s.bp ?? [rng.int(128, 178), rng.int(70, 104)];
    b.bloodPressure('bp-arrival', sys, dia, t0 - 42 * MIN, ed);
    b.score('nihss', VITALS.nihss, rng.int(3, 21), t0 - 35 * MIN, ed);
    const labAt = t0 - 25 * MIN;
    const labs = s.labs ?? {};
    const value = (v: number | null | undefined, normal: number) => (v === undefined ? normal : v);
    const plt = value(labs.platelets, rng.int(160, 380));
    const inr = value(labs.inr, rng.real(0.9, 1.2, 1));
    const glucose = value(labs.glucose, rng.int(88, 168));
    if (plt !== null) b.measure('plt', LABS.platelets, plt, labAt, { encounter: ed });
    if (inr !== null) b.measure('inr', LABS.inr, inr, labAt, { encounter: ed });
    if (glucose !== null) b.measure('glucose', LABS.glucose, glucose, labAt, { encounter: ed });
    if (labs.glucoseMmol !== undefined)
      b.measure('glucose-mmol', LABS.glucose, labs.glucoseMmol, labAt, { encounter: ed, unit: 'mmol/L' });
    b.measure('aptt', LABS.aptt, rng.int(26, 36), labAt, { encounter: ed });
    b.measure('pt', LABS.pt, rng.real(11, 13.8, 1), labAt, { encounter: ed });
  }
  const head = {
    series: [{ description: 'Head 5mm axial', instances: 4, sliceThickness: 5 }],
    requester: 'emergency' as const,
    encounter: ed,
    priority: 'stat' as const,
  };
  b.imaging({
    label: 'ct-head',
    start: t0,
    modality: 'CT',
    bodyPart: 'HEAD',
    description: 'CT Head without contrast',
    orderCode: 'CTHEADWO',
    reason: 'Code stroke: suspected acute stroke',
    ...head,
  });
  if (index % 2 === 1) {
    b.imaging({
      ...head,
      label: 'cta',
      start: t0 + 9 * MIN,
      modality: 'CT',
      bodyPart: 'HEADNECK',
      description: 'CT Angiography Head and Neck',
      orderCode: 'CTAHEADNECK',
      reason: 'Code stroke: large vessel occlusion?',
      series: [{ description: 'CTA 1mm arterial', instances: 4, sliceThickness: 1 }],
    });
  }
  if (!current) {
    const admission = b.encounter('enc-admission', {
      cls: 'inpatient',
      start: edEnd!,
      end: edEnd! + rng.int(3, 9) * DAY,
      location: s.icu ? 'icu' : 'strokeUnit',
      reason: 'Acute stroke work-up and monitoring',
    });
    if (index % 5 === 0) {
      b.imaging({
        label: 'mr-brain',
        encounter: admission,
        start: edEnd! + 20 * HOUR,
        modality: 'MR',
        bodyPart: 'BRAIN',
        description: 'MR Brain without contrast',
        orderCode: 'MRBRAINWO',
        priority: 'urgent',
        reason: 'Stroke follow-up: infarct extent',
        requester: 'neurologist',
        series: [
          { description: 'DWI axial', instances: 3, sliceThickness: 5 },
          { description: 'FLAIR axial', instances: 3, sliceThickness: 5 },
        ],
      });
    }
  }
  return b.record();
}
