/**
 * Deterministic patient / study / series specs and the DICOM JSON header of one instance.
 * Pixel data is not built here (see pixels.ts); the header references it as BulkDataURI 7FE00010.
 */
import type { DicomJson, DicomJsonAttribute } from '../src/dicom/types.js';
import { Rng } from '../src/demo/prng.js';
import {
  GIVEN_NAMES_F,
  GIVEN_NAMES_M,
  INSTITUTIONS,
  MANUFACTURERS,
  MIDDLE_INITIALS,
  MODALITY_WEIGHTS,
  PROCEDURES,
  REFERRING_PHYSICIANS,
  SOP_CLASSES,
  SURNAMES,
  type Modality,
  type Procedure,
} from './vocabulary.js';

/** All generated UIDs live under this root. */
export const UID_ROOT = '1.2.826.0.1.3680043.10.1456.9';
export const PIXEL_BULK_KEY = '7FE00010';

/** One number per data set, so UIDs of different sets never collide. */
export const DATASET_CODES = { CT400: 1, SMALL10K: 2, SCALE: 3, MEMORY: 4 } as const;
export type DatasetName = keyof typeof DATASET_CODES;

export function uid(dataset: DatasetName, ...parts: number[]): string {
  const value = [UID_ROOT, DATASET_CODES[dataset], ...parts].join('.');
  if (value.length > 64) throw new Error(`UID too long: ${value}`);
  return value;
}
const UID_KIND = { study: 1, series: 2, instance: 3, frameOfReference: 4 } as const;

export interface PatientSpec {
  id: string;
  name: string;
  birthDate: string;
  sex: 'M' | 'F' | 'O';
}

export interface StudySpec {
  index: number;
  uid: string;
  patient: PatientSpec;
  date: string;
  time: string;
  accession: string;
  studyId: string;
  modality: Modality;
  procedure: Procedure;
  referringPhysician: string;
  institution: string;
}

export interface SeriesSpec {
  uid: string;
  number: number;
  frameOfReferenceUid: string;
}

export interface ImageSpec {
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  windowCenter: number;
  windowWidth: number;
  rescale?: { intercept: number; slope: number };
  pixelSpacing?: [number, number];
  /** Cross-sectional geometry (CT/MR). */
  slice?: { position: [number, number, number]; thickness: number; location: number };
}

const DAY_MS = 86_400_000;
const EPOCH_2010 = Date.UTC(2010, 0, 1);
const EPOCH_1930 = Date.UTC(1930, 0, 1);

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

function formatTime(rng: Rng): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(rng.int(7, 19))}${pad(rng.int(0, 59))}${pad(rng.int(0, 59))}`;
}

export function patientSpec(seed: number, dataset: DatasetName, index: number): PatientSpec {
  const rng = Rng.stream(seed, dataset, 'patient', index);
  const sex = rng.weighted([
    ['F', 49],
    ['M', 49],
    ['O', 2],
  ] as const);
  const given = rng.pick(
    sex === 'M' ? GIVEN_NAMES_M : sex === 'F' ? GIVEN_NAMES_F : [...GIVEN_NAMES_F, ...GIVEN_NAMES_M],
  );
  const middle = rng.pick(MIDDLE_INITIALS);
  const name = `${rng.pick(SURNAMES)}^${given}${middle ? `^${middle}` : ''}`;
  const birthDate = formatDate(EPOCH_1930 + rng.int(0, 85 * 365) * DAY_MS);
  const id = `${7}${DATASET_CODES[dataset]}${String(index).padStart(7, '0')}`;
  return { id, name, birthDate, sex };
}

/** Dates spread from 2010-01-01 over `years` years. */
export function studySpec(
  seed: number,
  dataset: DatasetName,
  index: number,
  patientCount: number,
  opts: { modality?: Modality; years?: number } = {},
): StudySpec {
  const rng = Rng.stream(seed, dataset, 'study', index);
  // Every patient gets at least one study; the rest are spread at random.
  const patientIndex = index < patientCount ? index : rng.int(0, patientCount - 1);
  const modality = opts.modality ?? rng.weighted(MODALITY_WEIGHTS);
  const dateMs = EPOCH_2010 + rng.int(0, Math.floor((opts.years ?? 15) * 365.25) - 1) * DAY_MS;
  const date = formatDate(dateMs);
  return {
    index,
    uid: uid(dataset, UID_KIND.study, index),
    patient: patientSpec(seed, dataset, patientIndex),
    date,
    time: formatTime(rng),
    accession: `A${date.slice(2, 4)}${String(index).padStart(7, '0')}`,
    studyId: String(rng.int(1, 99_999)),
    modality,
    procedure: rng.pick(PROCEDURES[modality]),
    referringPhysician: rng.pick(REFERRING_PHYSICIANS),
    institution: rng.pick(INSTITUTIONS),
  };
}

export function seriesSpec(dataset: DatasetName, studyIndex: number, seriesNumber: number): SeriesSpec {
  return {
    uid: uid(dataset, UID_KIND.series, studyIndex, seriesNumber),
    number: seriesNumber,
    frameOfReferenceUid: uid(dataset, UID_KIND.frameOfReference, studyIndex),
  };
}

export function instanceUid(
  dataset: DatasetName,
  studyIndex: number,
  seriesNumber: number,
  instanceNumber: number,
): string {
  return uid(dataset, UID_KIND.instance, studyIndex, seriesNumber, instanceNumber);
}

const cs = (...v: string[]): DicomJsonAttribute => ({ vr: 'CS', Value: v });
const str = (vr: string, v: string): DicomJsonAttribute => ({ vr, Value: [v] });
const num = (vr: string, ...v: number[]): DicomJsonAttribute => ({ vr, Value: v });
const pn = (alphabetic: string): DicomJsonAttribute => ({ vr: 'PN', Value: [{ Alphabetic: alphabetic }] });

/** The complete DICOM JSON header of one instance (keys sorted ascending). */
export function instanceJson(
  study: StudySpec,
  series: SeriesSpec,
  instanceNumber: number,
  sopInstanceUid: string,
  image: ImageSpec,
): DicomJson {
  const { modality, procedure, patient } = study;
  const crossSectional = image.slice !== undefined;
  const json: DicomJson = {
    '00080005': cs('ISO_IR 100'),
    '00080008': cs('ORIGINAL', 'PRIMARY', ...(crossSectional ? ['AXIAL'] : [])),
    '00080012': str('DA', study.date),
    '00080013': str('TM', study.time),
    '00080016': str('UI', SOP_CLASSES[modality]),
    '00080018': str('UI', sopInstanceUid),
    '00080020': str('DA', study.date),
    '00080021': str('DA', study.date),
    '00080023': str('DA', study.date),
    '00080030': str('TM', study.time),
    '00080031': str('TM', study.time),
    '00080033': str('TM', study.time),
    '00080050': str('SH', study.accession),
    '00080060': cs(modality),
    '00080070': str('LO', MANUFACTURERS[modality]),
    '00080080': str('LO', study.institution),
    '00080090': pn(study.referringPhysician),
    '00081030': str('LO', procedure.description),
    '0008103E': str('LO', procedure.seriesDescription),
    '00100010': pn(patient.name),
    '00100020': str('LO', patient.id),
    '00100030': str('DA', patient.birthDate),
    '00100040': cs(patient.sex),
    '00180015': cs(procedure.bodyPart),
    '0020000D': str('UI', study.uid),
    '0020000E': str('UI', series.uid),
    '00200010': str('SH', study.studyId),
    '00200011': num('IS', series.number),
    '00200013': num('IS', instanceNumber),
    '00280002': num('US', 1),
    '00280004': cs('MONOCHROME2'),
    '00280010': num('US', image.rows),
    '00280011': num('US', image.columns),
    '00280100': num('US', image.bitsAllocated),
    '00280101': num('US', image.bitsStored),
    '00280102': num('US', image.bitsStored - 1),
    '00280103': num('US', image.pixelRepresentation),
    '00281050': num('DS', image.windowCenter),
    '00281051': num('DS', image.windowWidth),
    '7FE00010': { vr: image.bitsAllocated === 8 ? 'OB' : 'OW', BulkDataURI: PIXEL_BULK_KEY },
  };
  if (modality === 'CT') json['00180060'] = num('DS', 120);
  if (image.slice) {
    json['00180050'] = num('DS', image.slice.thickness);
    json['00200032'] = num('DS', ...image.slice.position);
    json['00200037'] = num('DS', 1, 0, 0, 0, 1, 0);
    json['00200052'] = str('UI', series.frameOfReferenceUid);
    json['00201041'] = num('DS', image.slice.location);
  }
  if (image.pixelSpacing) json['00280030'] = num('DS', ...image.pixelSpacing);
  if (image.rescale) {
    json['00281052'] = num('DS', image.rescale.intercept);
    json['00281053'] = num('DS', image.rescale.slope);
  }
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
