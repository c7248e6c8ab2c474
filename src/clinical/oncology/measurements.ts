/**
 * Measurements: the patient's length Observations (long axis, short axis, diameter) pointing at
 * a lesion (focus → BodyStructure with its tracking identifiers) and at a study (partOf or
 * derivedFrom → ImagingStudy). What cannot be used is said in a warning, never dropped silently.
 */
import type { BodyStructure, ImagingStudy, Observation, Quantity } from '@medplum/fhirtypes';
import { codeIn, DICOM_UID, refId, refUid, SNOMED, time, TRACKING_ID, uidOf } from './fhir.js';
import type { Measurement, StudyRef } from './types.js';

export const LONG_AXIS = '103339001';
export const SHORT_AXIS = '103340004';
export const DIAMETER = '81827009';
const AXES = new Set([LONG_AXIS, SHORT_AXIS, DIAMETER]);
const KIND = new Map([
  [LONG_AXIS, 'long'],
  [SHORT_AXIS, 'short'],
  [DIAMETER, 'diameter'],
] as const);
const USABLE = new Set(['preliminary', 'final', 'amended', 'corrected']);

export const isMeasurement = (o: Observation): boolean => !!codeIn(o.code, SNOMED, AXES);

/** Tenths of a millimetre of a length quantity (mm or cm), else undefined. */
export function tenthsOf(q: Quantity | undefined): number | undefined {
  if (typeof q?.value !== 'number' || !Number.isFinite(q.value) || q.value < 0) return undefined;
  const unit = q.code ?? q.unit;
  if (unit === 'mm') return Math.round(q.value * 10);
  if (unit === 'cm') return Math.round(q.value * 100);
  return undefined;
}

export interface ReadMeasurements {
  measurements: Measurement[];
  warnings: string[];
}

export function readMeasurements(
  observations: Observation[],
  bodyStructures: BodyStructure[],
  studies: ImagingStudy[],
): ReadMeasurements {
  const structures = new Map(bodyStructures.map((b) => [`BodyStructure/${b.id}`, b]));
  const byId = new Map(studies.map((s) => [`ImagingStudy/${s.id}`, s]));
  const byUid = new Map(studies.flatMap((s) => (uidOf(s.identifier) ? [[uidOf(s.identifier)!, s] as const] : [])));
  const measurements: Measurement[] = [];
  const warnings: string[] = [];
  for (const o of observations) {
    const code = codeIn(o.code, SNOMED, AXES);
    if (!code || !USABLE.has(o.status)) continue;
    const name = `Observation/${o.id}`;
    const tenths = tenthsOf(o.valueQuantity);
    if (tenths === undefined) {
      warnings.push(`${name}: the measurement has no length in mm or cm and is not used`);
      continue;
    }
    const structureRef = (o.focus ?? []).map((f) => refId(f, 'BodyStructure')).find((x) => x);
    const structure = structureRef ? structures.get(structureRef) : undefined;
    const ids = [...(structure?.identifier ?? []), ...(o.identifier ?? [])];
    const trackingUid = ids.find((i) => i.system === DICOM_UID && i.value)?.value?.replace(/^urn:oid:/, '');
    const trackingId = ids.find((i) => i.system === TRACKING_ID && i.value)?.value;
    const lesionKey = trackingUid ? `uid:${trackingUid}` : trackingId ? `id:${trackingId}` : structureRef;
    if (!lesionKey) {
      warnings.push(`${name}: no tracking identifier and no lesion (focus): the measurement cannot be followed`);
      continue;
    }
    const study = studyOf(o, byId, byUid);
    if (!study) {
      warnings.push(`${name}: the measurement names no study (partOf / derivedFrom) and is not placed in time`);
      continue;
    }
    measurements.push({
      observation: name,
      lesionKey,
      ...(trackingId ? { trackingId } : {}),
      ...(trackingUid ? { trackingUid } : {}),
      ...(structureRef ? { bodyStructure: structureRef } : {}),
      ...(structure?.location ? { site: structure.location } : o.bodySite ? { site: o.bodySite } : {}),
      kind: KIND.get(code as typeof LONG_AXIS)!,
      tenths,
      study,
      ...(o.issued ? { issued: o.issued } : {}),
    });
  }
  return { measurements, warnings };
}

function studyOf(
  o: Observation,
  byId: Map<string, ImagingStudy>,
  byUid: Map<string, ImagingStudy>,
): StudyRef | undefined {
  for (const r of [...(o.partOf ?? []), ...(o.derivedFrom ?? [])]) {
    const id = refId(r, 'ImagingStudy');
    const uid = refUid(r);
    const s = (id && byId.get(id)) || (uid && byUid.get(uid)) || undefined;
    if (s) {
      const at = time(s.started) ?? time(o.effectiveDateTime) ?? time(o.issued);
      if (at === undefined) continue;
      const modality = s.modality?.[0]?.code ?? s.series?.[0]?.modality?.code;
      return {
        reference: `ImagingStudy/${s.id}`,
        ...(uidOf(s.identifier) ? { studyInstanceUid: uidOf(s.identifier) } : {}),
        ...(s.started ? { started: s.started } : {}),
        ...(s.description ? { description: s.description } : {}),
        ...(modality ? { modality } : {}),
        time: at,
      };
    }
  }
  return undefined;
}
