import { CANCERS, CHEMO, DISEASE_STATUS, LABS, VITALS, type CancerSite, type Code, type Measure } from './codes.js';
import { addLesionMeasurements, lesionCourse } from './oncology-lesions.js';
import type { Rng } from './prng.js';
import { DAY, HOUR, RecordBuilder } from './record-builder.js';
import type { DemoPatient, PatientRecord } from './types.js';

interface CancerProfile {
  site: CancerSite;
  sex?: 'M' | 'F';
  stage: string;
  histology: string;
  markers: Measure[];
  /** Baseline marker level per marker (same order). */
  baseline: number[];
  lines: { regimen: string; drugs: Code[] }[];
}

const PROFILES: Record<CancerSite, CancerProfile> = {
  lung: {
    site: 'lung',
    stage: 'Stage IV (cT2b N2 M1b)',
    histology: 'Adenocarcinoma',
    markers: [LABS.cea],
    baseline: [24],
    lines: [
      {
        regimen: 'Carboplatin + pemetrexed + pembrolizumab',
        drugs: [CHEMO.carboplatin, CHEMO.pemetrexed, CHEMO.pembrolizumab],
      },
      { regimen: 'Docetaxel', drugs: [CHEMO.docetaxel] },
    ],
  },
  colon: {
    site: 'colon',
    stage: 'Stage IV (liver metastases)',
    histology: 'Adenocarcinoma',
    markers: [LABS.cea, LABS.ca199],
    baseline: [48, 120],
    lines: [{ regimen: 'FOLFOX', drugs: [CHEMO.oxaliplatin, CHEMO.fluorouracil, CHEMO.leucovorin] }],
  },
  breast: {
    site: 'breast',
    sex: 'F',
    stage: 'Stage IIIB',
    histology: 'Invasive ductal carcinoma',
    markers: [LABS.ca153],
    baseline: [62],
    lines: [
      { regimen: 'Doxorubicin + cyclophosphamide', drugs: [CHEMO.doxorubicin, CHEMO.cyclophosphamide] },
      { regimen: 'Paclitaxel weekly', drugs: [CHEMO.paclitaxel] },
    ],
  },
  prostate: {
    site: 'prostate',
    sex: 'M',
    stage: 'Stage IVB (bone metastases)',
    histology: 'Acinar adenocarcinoma, Gleason 4+4',
    markers: [LABS.psa],
    baseline: [86],
    lines: [{ regimen: 'Docetaxel', drugs: [CHEMO.docetaxel] }],
  },
  ovary: {
    site: 'ovary',
    sex: 'F',
    stage: 'FIGO Stage IIIC',
    histology: 'High-grade serous carcinoma',
    markers: [LABS.ca125],
    baseline: [640],
    lines: [{ regimen: 'Carboplatin + paclitaxel', drugs: [CHEMO.carboplatin, CHEMO.paclitaxel] }],
  },
  pancreas: {
    site: 'pancreas',
    stage: 'Stage III (locally advanced)',
    histology: 'Ductal adenocarcinoma',
    markers: [LABS.ca199],
    baseline: [410],
    lines: [
      { regimen: 'Gemcitabine', drugs: [CHEMO.gemcitabine] },
      { regimen: 'Fluorouracil + oxaliplatin', drugs: [CHEMO.fluorouracil, CHEMO.oxaliplatin] },
    ],
  },
};

const SITES: CancerSite[] = ['lung', 'colon', 'breast', 'prostate', 'ovary', 'pancreas'];
type Course = 'response' | 'progression' | 'stable';
const COURSES: Course[] = ['response', 'progression', 'stable'];
/** Marker factor per time point, relative to baseline. */
const TREND: Record<Course, number[]> = {
  response: [1, 0.62, 0.41, 0.35],
  progression: [1, 0.8, 1.35, 1.9],
  stable: [1, 0.95, 1.04, 0.98],
};
const STATUS: Record<Course, (keyof typeof DISEASE_STATUS)[]> = {
  response: ['improved', 'improved', 'stable'],
  progression: ['stable', 'worsened', 'worsened'],
  stable: ['stable', 'stable', 'stable'],
};

export const ONCOLOGY_COUNT = 15;

export function oncologySex(index: number): 'M' | 'F' | undefined {
  return PROFILES[SITES[index % SITES.length]].sex;
}

/**
 * A treated cancer: diagnosis, treatment lines, serial CT (baseline and follow-ups ~9 weeks
 * apart), tumor markers and performance status at each time point. Index 4 has a gap over 12
 * weeks and index 8 a follow-up on MR (data-quality warnings of the tumor-board summary). Lesion
 * measurements (oncology-lesions.ts) make the cohort show every RECIST 1.1 category.
 */
export function oncologyRecord(
  rng: Rng,
  patient: DemoPatient,
  number: number,
  index: number,
  anchor: number,
): PatientRecord {
  const profile = PROFILES[SITES[index % SITES.length]];
  const course = COURSES[index % COURSES.length];
  const b = new RecordBuilder(patient, number);
  const points = index % 4 === 3 ? 3 : 4;
  const interval = (k: number) => (index === 4 && k === 2 ? 16 : rng.int(8, 10)) * 7 * DAY;
  // Time points back from the last scan, which is a few days before the anchor.
  const times: number[] = [anchor - rng.int(2, 12) * DAY - rng.int(8, 15) * HOUR];
  for (let k = points - 1; k > 0; k--) times.unshift(times[0] - interval(k));
  const diagnosis = times[0] - rng.int(10, 20) * DAY;
  b.condition('primary-cancer', CANCERS[profile.site], {
    onset: diagnosis,
    recorded: diagnosis + 2 * DAY,
    stage: profile.stage,
    note: `Histology: ${profile.histology}.`,
  });
  b.score('ecog-baseline', VITALS.ecog, rng.int(0, 1), diagnosis + 3 * DAY);

  // Line 1 from baseline; with progression, line 2 from the third time point.
  const switchAt = course === 'progression' && profile.lines.length > 1 ? times[2] + 7 * DAY : undefined;
  profile.lines.forEach((line, l) => {
    if (l > 0 && switchAt === undefined) return;
    const start = l === 0 ? times[0] + 5 * DAY : switchAt!;
    const end = l === 0 ? switchAt : undefined;
    b.chemotherapy(`chemo-line${l + 1}`, start, end, line.regimen);
    for (const drug of line.drugs) {
      b.medicationRequest(`chemo-line${l + 1}-${drug.code}`, drug, {
        authored: start - 2 * DAY,
        status: end === undefined ? 'active' : 'stopped',
        ...(end !== undefined ? { stoppedReason: 'Disease progression' } : {}),
        dosage: `${line.regimen}, every 3 weeks`,
        period: [start, end],
        requester: 'oncologist',
      });
    }
  });

  let previousOrder: string | undefined;
  times.forEach((t, k) => {
    const visit = b.encounter(`enc-visit-${k + 1}`, {
      cls: 'ambulatory',
      start: t - 2 * HOUR,
      end: t + 3 * HOUR,
      location: 'oncology',
      reason: k === 0 ? 'Staging CT' : 'Restaging during systemic therapy',
    });
    const mr = index === 8 && k === 2;
    previousOrder = b.imaging({
      label: `restaging-${k + 1}`,
      encounter: visit,
      start: t,
      modality: mr ? 'MR' : 'CT',
      bodyPart: mr ? 'ABDOMEN' : 'CHESTABDPELVIS',
      description: mr ? 'MR Abdomen with contrast' : 'CT Chest Abdomen Pelvis with contrast',
      orderCode: mr ? 'MRABDW' : 'CTCAPW',
      priority: 'routine',
      reason:
        k === 0 ? `Staging: ${profile.histology.toLowerCase()} (${profile.site})` : 'Response assessment (RECIST 1.1)',
      requester: 'oncologist',
      basedOn: previousOrder,
      series: [
        { description: mr ? 'T1 post-contrast axial' : 'Portal venous 5mm axial', instances: 3, sliceThickness: 5 },
        { description: mr ? 'T2 coronal' : 'Lung 5mm axial', instances: 2, sliceThickness: 5 },
      ],
    });
    profile.markers.forEach((m, i) => {
      const level = profile.baseline[i] * TREND[course][k] * rng.real(0.9, 1.1, 2);
      b.measure(`marker-${m.code.code}-${k + 1}`, m, Math.round(level * 10) / 10, t - 3 * DAY, { encounter: visit });
    });
    b.measure(
      `plt-${k + 1}`,
      LABS.platelets,
      rng.int(course === 'progression' && k === points - 1 ? 85 : 140, 320),
      t - 3 * DAY,
      { encounter: visit },
    );
    b.measure(`creatinine-${k + 1}`, LABS.creatinine, rng.real(0.6, 1.3, 2), t - 3 * DAY, { encounter: visit });
    if (k > 0)
      b.coded(
        `disease-status-${k + 1}`,
        VITALS.diseaseStatus,
        DISEASE_STATUS[STATUS[course][k - 1]],
        t + 2 * DAY,
        visit,
      );
  });
  addLesionMeasurements(
    b,
    b.studies.map((s) => ({ uid: s.uid, time: s.start })),
    lesionCourse(index, course),
  );
  b.score('ecog-latest', VITALS.ecog, course === 'progression' ? 2 : rng.int(0, 1), times[points - 1] + 2 * HOUR);
  if (index < 3)
    b.flag('flag-tumor-board', {
      code: 'tumor-board',
      text: 'Scheduled for tumor board',
      category: 'admin',
      start: anchor - DAY,
    });
  if (index === 5) {
    b.encounter('enc-neutropenic-fever', {
      cls: 'inpatient',
      start: times[1] + 12 * DAY,
      end: times[1] + 16 * DAY,
      location: 'ward',
      reason: 'Febrile neutropenia after chemotherapy',
    });
  }
  return b.record();
}
