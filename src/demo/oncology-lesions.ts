/**
 * Lesion measurements for the oncology demo patients, so that the tumor-board summary shows
 * every RECIST 1.1 category: a BodyStructure per lesion (tracking id) and a length Observation
 * per lesion and time point, pointing at its study by StudyInstanceUID (the bridge writes the
 * ImagingStudy later). Deterministic from the patient's index: no random numbers are drawn, so
 * the rest of the dataset is unchanged.
 */
import type { FhirResource } from '../fhir/types.js';
import { OBSERVATION_CATEGORY, UCUM } from './codes.js';
import { iso, type RecordBuilder } from './record-builder.js';

const SCT = 'http://snomed.info/sct';
const LONG_AXIS = { system: SCT, code: '103339001', display: 'Long axis' };
const SHORT_AXIS = { system: SCT, code: '103340004', display: 'Short axis' };
const SITES = {
  liver: { system: SCT, code: '10200004', display: 'Liver structure' },
  lung: { system: SCT, code: '39607008', display: 'Lung structure' },
  node: { system: SCT, code: '59441001', display: 'Structure of lymph node' },
};

/** The course of the lesions, chosen so that the cohort shows CR, PR, SD, PD and NE. */
export type LesionCourse = 'complete' | 'partial' | 'stable' | 'progression' | 'new-lesion' | 'missing';

/** Per time point, the factor applied to each baseline size (targets L1, L2, N1; non-target L3). */
const FACTORS: Record<LesionCourse, number[]> = {
  complete: [1, 0.6, 0.2, 0],
  partial: [1, 0.68, 0.55, 0.5],
  stable: [1, 0.95, 1.02, 0.98],
  progression: [1, 0.85, 1.1, 1.3],
  'new-lesion': [1, 0.8, 0.7, 0.7],
  missing: [1, 0.7, 0.6, 0.6],
};

const LESIONS = [
  { id: 'L1', site: 'liver', axis: LONG_AXIS, baseline: 42 },
  { id: 'L2', site: 'lung', axis: LONG_AXIS, baseline: 28 },
  { id: 'N1', site: 'node', axis: SHORT_AXIS, baseline: 18 },
  { id: 'L3', site: 'lung', axis: LONG_AXIS, baseline: 8 },
] as const;

export function lesionCourse(index: number, course: 'response' | 'progression' | 'stable'): LesionCourse {
  if (index === 0) return 'complete';
  if (index === 5) return 'new-lesion';
  if (index === 6) return 'missing';
  return course === 'response' ? 'partial' : course;
}

/** Adds the lesions and their measurements at each study (uid, time) of the patient. */
export function addLesionMeasurements(
  b: RecordBuilder,
  studies: { uid: string; time: number }[],
  course: LesionCourse,
): void {
  const structures = new Map<string, string>();
  const structure = (id: string, site: keyof typeof SITES) => {
    const known = structures.get(id);
    if (known) return known;
    const url = b.add(`lesion-${id}`, {
      resourceType: 'BodyStructure',
      active: true,
      identifier: [{ system: 'urn:imaging-bridge:tracking-id', value: id }],
      location: { coding: [SITES[site]], text: SITES[site].display },
      description: `Tracked lesion ${id}`,
      patient: { reference: b.patientUrl },
    });
    structures.set(id, url);
    return url;
  };
  const measure = (k: number, id: string, site: keyof typeof SITES, axis: typeof LONG_AXIS, mm: number) => {
    const s = studies[k]!;
    b.add(`lesion-${id}-${k + 1}`, {
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'imaging' }] }],
      code: { coding: [axis], text: axis.display },
      subject: { reference: b.patientUrl },
      effectiveDateTime: iso(s.time),
      valueQuantity: { value: mm, unit: 'mm', system: UCUM, code: 'mm' },
      bodySite: { coding: [SITES[site]] },
      focus: [{ reference: structure(id, site) }],
      // The ImagingStudy does not exist yet when the demo is loaded: a logical reference by UID.
      partOf: [{ type: 'ImagingStudy', identifier: { system: 'urn:dicom:uid', value: `urn:oid:${s.uid}` } }],
    } as FhirResource);
  };
  const factors = FACTORS[course];
  studies.forEach((_, k) => {
    const f = factors[Math.min(k, factors.length - 1)]!;
    for (const l of LESIONS) {
      if (course === 'missing' && k === studies.length - 1 && l.id === 'L2') continue;
      measure(k, l.id, l.site, l.axis, Math.round(l.baseline * f * 10) / 10);
    }
    if (course === 'new-lesion' && k === studies.length - 1) measure(k, 'L4', 'liver', LONG_AXIS, 14);
  });
}
