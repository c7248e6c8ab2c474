/**
 * Turns a case of the case table (cases/*.json, README there) into FHIR R4 resources: one
 * ImagingStudy per study date, a BodyStructure per lesion (tracking id = its label), one length
 * Observation per measurement.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BodyStructure, ImagingStudy, Observation } from '@medplum/fhirtypes';
import { DICOM_UID, ONCOLOGY_SYSTEM, SNOMED, TRACKING_ID } from './fhir.js';
import { DIAMETER, LONG_AXIS, SHORT_AXIS } from './measurements.js';
import { NON_TARGET_PROGRESSION } from './recist.js';
import { TARGET_SELECTION } from './targets.js';

type MeasurementSpec =
  | number
  | string
  | {
      mm?: number;
      cm?: number;
      study?: number;
      status?: string;
      axis?: 'long' | 'short' | 'diameter';
      noTracking?: boolean;
      noStudy?: boolean;
    };

export interface TimepointSpec {
  date?: string;
  studies?: string[];
  modality?: string;
  nonTargetPD?: boolean;
  [lesion: string]: MeasurementSpec | MeasurementSpec[] | string[] | string | boolean | undefined;
}

export interface Case {
  name: string;
  lesions: Record<string, string>;
  timepoints: TimepointSpec[];
  /** Per time point: "target / non-target / overall". */
  expect: string[];
  baseline?: number;
  override?: string[];
  targets?: string[];
  warningsInclude?: string[];
}

export const SITES = new Map<string, { code: string; display: string }>([
  ['liver', { code: '10200004', display: 'Liver structure' }],
  ['lung', { code: '39607008', display: 'Lung structure' }],
  ['node', { code: '59441001', display: 'Structure of lymph node' }],
  ['axillary node', { code: '68171009', display: 'Structure of axillary lymph node' }],
  ['mediastinal node', { code: '62683002', display: 'Structure of mediastinal lymph node' }],
  ['bone', { code: '272673000', display: 'Bone structure' }],
  ['adrenal', { code: '23451007', display: 'Adrenal gland structure' }],
  ['peritoneum', { code: '15425007', display: 'Peritoneum' }],
  ['kidney', { code: '64033007', display: 'Kidney structure' }],
]);

const RESERVED = new Set(['date', 'studies', 'modality', 'nonTargetPD']);
export const studyUid = (tp: number, k: number) => `2.25.19${tp}0${k}`;

export function loadCases(): { file: string; c: Case }[] {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'cases');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) => (JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case[]).map((c) => ({ file, c })));
}

export function buildCase(c: Case) {
  const patient = { reference: 'Patient/p1' };
  const studies: ImagingStudy[] = [];
  const observations: Observation[] = [];
  const bodyStructures: BodyStructure[] = Object.entries(c.lesions).map(([label, site]) => {
    const s = SITES.get(site);
    if (!s) throw new Error(`${c.name}: unknown site ${site}`);
    return {
      resourceType: 'BodyStructure',
      id: `bs-${label}`,
      patient,
      identifier: [{ system: TRACKING_ID, value: label }],
      location: { coding: [{ system: SNOMED, ...s }], text: site },
    };
  });
  c.timepoints.forEach((tp, i) => {
    const dates = tp.studies ?? [tp.date!];
    dates.forEach((d, k) =>
      studies.push({
        resourceType: 'ImagingStudy',
        id: `s${i}-${k}`,
        status: 'available',
        subject: patient,
        identifier: [{ system: DICOM_UID, value: `urn:oid:${studyUid(i, k)}` }],
        started: `${d}T10:00:00Z`,
        modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: tp.modality ?? 'CT' }],
      }),
    );
    for (const [label, spec] of Object.entries(tp)) {
      if (RESERVED.has(label)) continue;
      if (!Object.hasOwn(c.lesions, label))
        throw new Error(`${c.name}: timepoint ${i} measures unknown lesion ${label}`);
      const list = (Array.isArray(spec) ? spec : [spec]) as MeasurementSpec[];
      list.forEach((m, n) => observations.push(measurement(c, label, m, i, n)));
    }
    if (tp.nonTargetPD)
      observations.push({
        resourceType: 'Observation',
        id: `ntpd-${i}`,
        status: 'final',
        code: { coding: [{ system: ONCOLOGY_SYSTEM, code: NON_TARGET_PROGRESSION }] },
        subject: patient,
        valueBoolean: true,
        derivedFrom: [{ reference: `ImagingStudy/s${i}-0` }],
      });
  });
  if (c.override)
    observations.push({
      resourceType: 'Observation',
      id: 'targets-1',
      status: 'final',
      code: { coding: [{ system: ONCOLOGY_SYSTEM, code: TARGET_SELECTION }] },
      subject: patient,
      issued: '2025-01-20T09:00:00Z',
      performer: [{ reference: 'Practitioner/onc1', display: 'Dr Onc' }],
      focus: c.override.map((l) => ({ reference: `BodyStructure/bs-${l}` })),
    });
  return {
    observations,
    bodyStructures,
    studies,
    baseline: c.baseline === undefined ? undefined : studyUid(c.baseline, 0),
  };
}

function measurement(c: Case, label: string, spec: MeasurementSpec, tp: number, n: number): Observation {
  const m = typeof spec === 'object' ? spec : typeof spec === 'number' ? { mm: spec } : { cm: Number.parseFloat(spec) };
  const node = c.lesions[label]!.includes('node');
  const axis = m.axis ?? (node ? 'short' : 'long');
  const code = axis === 'short' ? SHORT_AXIS : axis === 'diameter' ? DIAMETER : LONG_AXIS;
  const unit = m.cm !== undefined ? 'cm' : 'mm';
  return {
    resourceType: 'Observation',
    id: `m${tp}-${label}-${n}`,
    status: (m.status ?? 'final') as Observation['status'],
    code: { coding: [{ system: SNOMED, code }] },
    subject: { reference: 'Patient/p1' },
    valueQuantity: { value: m.cm ?? m.mm, unit, system: 'http://unitsofmeasure.org', code: unit },
    ...(m.noTracking ? {} : { focus: [{ reference: `BodyStructure/bs-${label}` }] }),
    ...(m.noStudy ? {} : { partOf: [{ reference: `ImagingStudy/s${tp}-${m.study ?? 0}` }] }),
  };
}
