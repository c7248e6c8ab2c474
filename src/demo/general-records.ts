import { LABS } from './codes.js';
import { addWorklistContext, reportOf } from './worklist-records.js';
import type { Rng } from './prng.js';
import { DAY, HOUR, RecordBuilder, type StudyOrder } from './record-builder.js';
import type { DemoPatient, PatientRecord } from './types.js';

const MIN = 60_000;
type Setting = 'icu' | 'trauma' | 'ward' | 'observation' | 'outpatient';

interface GeneralScenario {
  setting: Setting;
  reason: string;
  /** Studies relative to the encounter start. */
  studies: (Omit<StudyOrder, 'start' | 'encounter' | 'requester'> & { after: number })[];
  flag?: { code: string; text: string; category: 'clinical' | 'safety' | 'admin' };
}

const CXR = {
  modality: 'DX' as const,
  bodyPart: 'CHEST',
  description: 'XR Chest portable AP',
  orderCode: 'XRCHESTPORT',
  series: [{ description: 'AP portable', instances: 1, sliceThickness: 0 }],
};
const CT_ABD = {
  modality: 'CT' as const,
  bodyPart: 'ABDOMENPELVIS',
  description: 'CT Abdomen Pelvis with contrast',
  orderCode: 'CTABDPELW',
  series: [{ description: 'Portal venous 5mm axial', instances: 3, sliceThickness: 5 }],
};

/** ICU, trauma, ward, observation and outpatient patients: the settings the worklist weighs. */
export const GENERAL_SCENARIOS: GeneralScenario[] = [
  {
    setting: 'icu',
    reason: 'Septic shock',
    flag: { code: 'isolation-contact', text: 'Contact precautions', category: 'safety' },
    studies: [
      { label: 'cxr-1', ...CXR, priority: 'urgent', reason: 'Line position, infiltrates?', after: 2 * HOUR },
      { label: 'cxr-2', ...CXR, priority: 'routine', reason: 'Daily film', after: 26 * HOUR },
    ],
  },
  {
    setting: 'icu',
    reason: 'Acute respiratory failure',
    studies: [
      {
        label: 'ctpa',
        modality: 'CT',
        bodyPart: 'CHEST',
        description: 'CT Pulmonary Angiography',
        orderCode: 'CTPA',
        priority: 'stat',
        reason: 'Suspected pulmonary embolism',
        series: [{ description: 'CTPA 1mm', instances: 4, sliceThickness: 1 }],
        after: 3 * HOUR,
      },
    ],
  },
  {
    setting: 'icu',
    reason: 'Post-operative monitoring after laparotomy',
    studies: [{ label: 'cxr-1', ...CXR, priority: 'routine', reason: 'Post-operative film', after: 5 * HOUR }],
  },
  {
    setting: 'trauma',
    reason: 'High-speed motor vehicle collision',
    flag: { code: 'trauma-activation', text: 'Trauma team activation', category: 'clinical' },
    studies: [
      {
        label: 'ct-head',
        modality: 'CT',
        bodyPart: 'HEAD',
        description: 'CT Head without contrast',
        orderCode: 'CTHEADWO',
        priority: 'stat',
        reason: 'Trauma: head injury',
        series: [{ description: 'Head 5mm axial', instances: 4, sliceThickness: 5 }],
        after: 20 * MIN,
      },
      {
        label: 'ct-chest',
        modality: 'CT',
        bodyPart: 'CHESTABDOMEN',
        description: 'CT Chest Abdomen with contrast',
        orderCode: 'CTCHABDW',
        priority: 'stat',
        reason: 'Trauma: thoracoabdominal injury',
        series: [{ description: 'Trauma 5mm axial', instances: 3, sliceThickness: 5 }],
        after: 30 * MIN,
      },
    ],
  },
  {
    setting: 'ward',
    reason: 'Right lower quadrant pain',
    flag: { code: 'pre-op', text: 'Pre-operative: appendectomy planned', category: 'admin' },
    studies: [{ label: 'ct-abd', ...CT_ABD, priority: 'urgent', reason: 'Appendicitis?', after: 4 * HOUR }],
  },
  {
    setting: 'ward',
    reason: 'Community-acquired pneumonia',
    flag: { code: 'pending-discharge', text: 'Discharge pending imaging', category: 'admin' },
    studies: [
      {
        label: 'cxr-1',
        ...CXR,
        description: 'XR Chest PA and lateral',
        orderCode: 'XRCHEST2V',
        priority: 'routine',
        reason: 'Follow-up of consolidation',
        after: 48 * HOUR,
        series: [
          { description: 'PA', instances: 1, sliceThickness: 0 },
          { description: 'Lateral', instances: 1, sliceThickness: 0 },
        ],
      },
    ],
  },
  {
    setting: 'ward',
    reason: 'Acute pancreatitis',
    studies: [{ label: 'ct-abd', ...CT_ABD, priority: 'asap', reason: 'Necrosis? Collections?', after: 72 * HOUR }],
  },
  {
    setting: 'ward',
    reason: 'Decompensated heart failure',
    studies: [{ label: 'cxr-1', ...CXR, priority: 'routine', reason: 'Pulmonary oedema', after: 6 * HOUR }],
  },
  {
    setting: 'observation',
    reason: 'Syncope',
    studies: [
      {
        label: 'ct-head',
        modality: 'CT',
        bodyPart: 'HEAD',
        description: 'CT Head without contrast',
        orderCode: 'CTHEADWO',
        priority: 'urgent',
        reason: 'Syncope with head strike',
        series: [{ description: 'Head 5mm axial', instances: 4, sliceThickness: 5 }],
        after: 2 * HOUR,
      },
    ],
  },
  {
    setting: 'outpatient',
    reason: 'Knee pain after sports injury',
    studies: [
      {
        label: 'mr-knee',
        modality: 'MR',
        bodyPart: 'KNEE',
        description: 'MR Knee without contrast',
        orderCode: 'MRKNEEWO',
        priority: 'routine',
        reason: 'Meniscal tear?',
        series: [{ description: 'PD FS sagittal', instances: 3, sliceThickness: 3 }],
        after: 30 * MIN,
      },
    ],
  },
  {
    setting: 'outpatient',
    reason: 'Chronic cough',
    studies: [
      {
        label: 'cxr-1',
        ...CXR,
        description: 'XR Chest PA and lateral',
        orderCode: 'XRCHEST2V',
        priority: 'routine',
        reason: 'Chronic cough',
        series: [{ description: 'PA', instances: 1, sliceThickness: 0 }],
        after: 20 * MIN,
      },
    ],
  },
  {
    setting: 'outpatient',
    reason: 'Pulmonary nodule surveillance',
    studies: [
      {
        label: 'ct-chest-1',
        modality: 'CT',
        bodyPart: 'CHEST',
        description: 'CT Chest without contrast',
        orderCode: 'CTCHESTWO',
        priority: 'routine',
        reason: 'Incidental 6 mm nodule: baseline',
        series: [{ description: 'Lung 1mm axial', instances: 3, sliceThickness: 1 }],
        after: 0,
      },
      {
        label: 'ct-chest-2',
        modality: 'CT',
        bodyPart: 'CHEST',
        description: 'CT Chest without contrast',
        orderCode: 'CTCHESTWO',
        priority: 'routine',
        reason: 'Nodule follow-up at 12 months',
        series: [{ description: 'Lung 1mm axial', instances: 3, sliceThickness: 1 }],
        after: 365 * DAY,
      },
    ],
  },
  {
    setting: 'outpatient',
    reason: 'Chronic headache',
    studies: [
      {
        label: 'mr-brain',
        modality: 'MR',
        bodyPart: 'BRAIN',
        description: 'MR Brain without contrast',
        orderCode: 'MRBRAINWO',
        priority: 'routine',
        reason: 'Headache, red flags excluded',
        series: [{ description: 'T2 axial', instances: 3, sliceThickness: 5 }],
        after: 40 * MIN,
      },
    ],
  },
  {
    setting: 'outpatient',
    reason: 'Low back pain',
    studies: [
      {
        label: 'mr-lspine',
        modality: 'MR',
        bodyPart: 'LSPINE',
        description: 'MR Lumbar Spine without contrast',
        orderCode: 'MRLSPINEWO',
        priority: 'routine',
        reason: 'Radiculopathy L5',
        series: [{ description: 'T2 sagittal', instances: 3, sliceThickness: 4 }],
        after: 25 * MIN,
      },
    ],
  },
  {
    setting: 'observation',
    reason: 'Chest pain',
    studies: [{ label: 'cxr-1', ...CXR, priority: 'urgent', reason: 'Chest pain', after: 40 * MIN }],
  },
];

const ENCOUNTER: Record<
  Setting,
  {
    cls: 'inpatient' | 'emergency' | 'observation' | 'ambulatory';
    location: 'icu' | 'ed' | 'ward' | 'radiology';
    days: [number, number];
    requester: 'internist' | 'emergency';
  }
> = {
  icu: { cls: 'inpatient', location: 'icu', days: [3, 12], requester: 'internist' },
  trauma: { cls: 'emergency', location: 'ed', days: [0, 0], requester: 'emergency' },
  ward: { cls: 'inpatient', location: 'ward', days: [3, 8], requester: 'internist' },
  observation: { cls: 'observation', location: 'ward', days: [1, 1], requester: 'emergency' },
  outpatient: { cls: 'ambulatory', location: 'radiology', days: [0, 0], requester: 'internist' },
};

export function generalRecord(
  rng: Rng,
  patient: DemoPatient,
  number: number,
  index: number,
  anchor: number,
): PatientRecord {
  const s = GENERAL_SCENARIOS[index];
  const e = ENCOUNTER[s.setting];
  const b = new RecordBuilder(patient, number);
  // A later outpatient visit (a surveillance scan a year on) gets an encounter of its own.
  const later = (after: number) => s.setting === 'outpatient' && after > DAY;
  const lastAfter = Math.max(...s.studies.filter((st) => !later(st.after)).map((st) => st.after));
  const latest = Math.max(...s.studies.map((st) => st.after));
  // ICU and ward stays are still running at the anchor time; the others ended.
  const running = s.setting === 'icu' || (s.setting === 'ward' && index % 2 === 0) || s.setting === 'trauma';
  const start = anchor - latest - rng.int(1, 30) * (running ? HOUR : DAY) - (running ? 0 : rng.int(0, 8) * HOUR);
  const end = running
    ? undefined
    : start + lastAfter + Math.max(e.days[0], rng.int(e.days[0], e.days[1])) * DAY + 4 * HOUR;
  const enc = b.encounter('enc', {
    cls: e.cls,
    start,
    end,
    location: e.location,
    reason: s.reason,
    ...(s.setting === 'trauma' ? { priority: 'EM' as const } : {}),
  });
  if (s.flag) b.flag(`flag-${s.flag.code}`, { ...s.flag, start: start + 10 * MIN, end, encounter: enc });
  addWorklistContext(b, { setting: s.setting, start, encounter: enc });
  if (s.setting !== 'outpatient') {
    b.measure('hb', LABS.hemoglobin, rng.real(9.5, 15.5, 1), start + 30 * MIN, { encounter: enc });
    b.measure('plt', LABS.platelets, rng.int(120, 390), start + 30 * MIN, { encounter: enc });
    b.measure('creatinine', LABS.creatinine, rng.real(0.6, 2.1, 2), start + 30 * MIN, { encounter: enc });
    b.bloodPressure('bp', rng.int(95, 165), rng.int(55, 95), start + 15 * MIN, enc);
  }
  let previous: string | undefined;
  // Studies before the patient's latest one have been read: a final report on their order.
  const latestAt = start + latest;
  for (const st of s.studies) {
    const { after, ...order } = st;
    const at = start + after;
    const encounter = later(after)
      ? b.encounter(`enc-${st.label}`, {
          cls: 'ambulatory',
          start: at - 30 * MIN,
          end: at + HOUR,
          location: 'radiology',
          reason: s.reason,
        })
      : enc;
    previous = b.imaging({
      ...order,
      start: at,
      encounter,
      requester: e.requester,
      basedOn: st.label.endsWith('-2') ? previous : undefined,
    });
    if (at < latestAt)
      reportOf(b, `report-${st.label}`, { order: previous, at: at + 3 * HOUR, text: order.description });
  }
  return b.record();
}
