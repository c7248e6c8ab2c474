/**
 * One ImagingStudy.series (with its instances) from the instances that share a
 * SeriesInstanceUID, sorted by InstanceNumber then SOPInstanceUID.
 */
import type { DicomJson } from '../../dicom/types.js';
import type { Finding } from '../normalize/types.js';
import { bodySiteOf } from './body-site.js';
import { fhirDateTime, fhirDateTimeFromDt, fhirOffset } from './date-time.js';
import { firstOf, int, items, personNames, str, TAG } from './dicom-read.js';
import type { Coding, ImagingStudyInstance, ImagingStudyPerformer, ImagingStudySeries } from './fhir-types.js';
import { lateralityOf } from './laterality.js';
import { displayName } from './person-name.js';
import { DATA_ABSENT_REASON_URL, DCM_SYSTEM, PARTICIPATION_TYPE_SYSTEM, RFC3986_SYSTEM, urnOid } from './systems.js';

const PERFORMER_FUNCTION = { coding: [{ system: PARTICIPATION_TYPE_SYSTEM, code: 'PRF', display: 'performer' }] };

/** Stated instead of inventing a code when no instance carried a Modality. */
const UNKNOWN_MODALITY: Coding = { extension: [{ url: DATA_ABSENT_REASON_URL, valueCode: 'unknown' }] };

/** Orders by number (absent numbers last), then UID. */
export function byNumberThenUid(a: { number?: number; uid: string }, b: { number?: number; uid: string }): number {
  const an = a.number ?? Number.MAX_SAFE_INTEGER;
  const bn = b.number ?? Number.MAX_SAFE_INTEGER;
  return an !== bn ? an - bn : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}

function instanceTitle(json: DicomJson): string | undefined {
  const concept = items(json, TAG.ConceptNameCodeSequence)[0];
  return (concept && str(concept, TAG.CodeMeaning)) ?? str(json, TAG.DocumentTitle) ?? str(json, TAG.ContentLabel);
}

export function mapInstance(json: DicomJson): ImagingStudyInstance {
  const instance: ImagingStudyInstance = {
    uid: str(json, TAG.SOPInstanceUID)!,
    sopClass: { system: RFC3986_SYSTEM, code: urnOid(str(json, TAG.SOPClassUID) ?? '') },
  };
  const number = int(json, TAG.InstanceNumber);
  if (number !== undefined && number >= 0) instance.number = number;
  const title = instanceTitle(json);
  if (title) instance.title = title;
  return instance;
}

function performers(instances: DicomJson[]): ImagingStudyPerformer[] {
  const names = new Set<string>();
  for (const json of instances) {
    for (const tag of [TAG.PerformingPhysicianName, TAG.OperatorsName]) {
      for (const pn of personNames(json, tag)) {
        const display = displayName(pn);
        if (display) names.add(display);
      }
    }
  }
  return [...names].map((display) => ({ function: structuredClone(PERFORMER_FUNCTION), actor: { display } }));
}

function seriesStarted(instances: DicomJson[], zone: string): string | undefined {
  const first = instances[0]!;
  const offset = fhirOffset(str(first, TAG.TimezoneOffsetFromUTC));
  const fromSeries = fhirDateTime(str(first, TAG.SeriesDate), str(first, TAG.SeriesTime), offset, zone);
  if (fromSeries) return fromSeries;
  const acquisitions = instances
    .map((j) => str(j, TAG.AcquisitionDateTime))
    .filter((v): v is string => !!v)
    .sort();
  return fhirDateTimeFromDt(acquisitions[0], offset, zone);
}

/** `instances` all belong to one series, already in instance order. */
export function mapSeries(instances: DicomJson[], zone: string, findings: Finding[]): ImagingStudySeries {
  const first = instances[0]!;
  const code = firstOf(instances, (j) => str(j, TAG.Modality));
  const series: ImagingStudySeries = {
    uid: str(first, TAG.SeriesInstanceUID)!,
    modality: code ? { system: DCM_SYSTEM, code } : structuredClone(UNKNOWN_MODALITY),
  };
  const number = firstOf(instances, (j) => int(j, TAG.SeriesNumber));
  if (number !== undefined && number >= 0) series.number = number;
  const description = firstOf(instances, (j) => str(j, TAG.SeriesDescription));
  if (description) series.description = description;
  series.numberOfInstances = instances.length;
  const site = bodySiteOf(
    instances.find((j) => j[TAG.BodyPartExamined]?.Value || j[TAG.AnatomicRegionSequence]?.Value) ?? first,
  );
  if (site.bodySite) series.bodySite = site.bodySite;
  if (site.unknownText) {
    findings.push({
      rule: 'map-body-site',
      severity: 'warning',
      tag: TAG.BodyPartExamined,
      original: site.unknownText,
      message: `series ${series.uid}: body part has no Annex L code; bodySite has display only`,
    });
  }
  const laterality = firstOf(instances, lateralityOf);
  if (laterality) series.laterality = laterality;
  const started = seriesStarted(instances, zone);
  if (started) series.started = started;
  const performer = performers(instances);
  if (performer.length) series.performer = performer;
  series.instance = instances.map(mapInstance);
  return series;
}
