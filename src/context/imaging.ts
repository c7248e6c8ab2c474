/**
 * imagingStudies and reports sections: ImagingStudy and DiagnosticReport (AI results included).
 * They are read from our own server, but through the same defensive readers as the clinical
 * sections (fhir-read.ts): a resource written to the repository directly is not validated.
 */
import type { DiagnosticReport, ImagingStudy, Identifier, Observation } from '@medplum/fhirtypes';
import type { FhirResource } from '../fhir/types.js';
import { asArray, coding, concept, newestFirst, ofType, refId, str, time, type Typed } from './fhir-read.js';
import type { Concept, ReportFinding, ReportSummary, SeriesSummary, StudySummary } from './summaries.js';

const DICOM_UID = 'urn:dicom:uid';
const ACSN = 'ACSN';
/** Tag our AI write-back puts on what it writes (src/ai-results). */
export const AI_RESULT_TAG = { system: 'urn:imaging-bridge:tag', code: 'ai-result' };

const studyUidOf = (s: ImagingStudy): string | undefined => {
  const uid = str(asArray(s.identifier).find((i) => i.system === DICOM_UID && typeof i.value === 'string')?.value);
  return uid?.replace(/^urn:oid:/, '');
};

const isAccession = (i: Identifier | undefined): boolean => asArray(i?.type?.coding).some((c) => c.code === ACSN);

const accessionOf = (s: ImagingStudy): string | undefined => {
  const typed = asArray(s.identifier).find(isAccession);
  const basedOn = asArray(s.basedOn)
    .map((b) => b.identifier)
    .find((i) => i && isAccession(i));
  return str(typed?.value) ?? str(basedOn?.value);
};

const unique = <T>(items: (T | undefined)[], keyOf: (t: T) => string): T[] => {
  const seen = new Map<string, T>();
  for (const i of items) if (i !== undefined && !seen.has(keyOf(i))) seen.set(keyOf(i), i);
  return [...seen.values()];
};

/** Newest first, since-filtered, at most `limit`; WADO-RS URLs under our DICOMweb base. */
export function buildImagingStudies(
  studies: Typed<ImagingStudy>[],
  o: { dicomWebBase: string; since?: number; limit: number },
): { items: StudySummary[]; used: FhirResource[] } {
  const kept = newestFirst(
    studies.filter(
      (s) => s.status !== 'entered-in-error' && (o.since === undefined || (time(s.started) ?? Infinity) >= o.since),
    ),
    (s) => time(s.started),
    (s) => s.id!,
  ).slice(0, o.limit);
  const items = kept.map((s): StudySummary => {
    const uid = studyUidOf(s);
    const base = uid ? `${o.dicomWebBase}/studies/${uid}` : undefined;
    const series = asArray(s.series).map((se): SeriesSummary => {
      const url = `${base}/series/${se.uid}`;
      const out: SeriesSummary = { uid: String(se.uid), retrieveUrl: url, metadataUrl: `${url}/metadata` };
      if (typeof se.number === 'number') out.number = se.number;
      const m = coding(se.modality)?.code;
      if (m) out.modality = m;
      const description = str(se.description);
      if (description) out.description = description;
      const site = coding(se.bodySite);
      if (site) out.bodySite = site;
      const lat = coding(se.laterality);
      if (lat) out.laterality = lat;
      if (typeof se.numberOfInstances === 'number') out.numberOfInstances = se.numberOfInstances;
      return ordered(out, SERIES_KEYS);
    });
    const modality = unique(
      [...asArray(s.modality).map((m) => coding(m)?.code), ...series.map((x) => x.modality)],
      (x) => x,
    );
    const out: StudySummary = {
      id: s.id!,
      modality,
      bodySite: unique(
        series.map((x) => x.bodySite),
        (c) => `${c.system}|${c.code}|${c.display}`,
      ),
      series: base ? series : [],
    };
    if (uid) out.studyInstanceUid = uid;
    const acc = accessionOf(s);
    if (acc) out.accession = acc;
    const status = str(s.status);
    if (status) out.status = status;
    const started = str(s.started);
    if (started) out.started = started;
    const description = str(s.description);
    if (description) out.description = description;
    if (typeof s.numberOfSeries === 'number') out.numberOfSeries = s.numberOfSeries;
    if (typeof s.numberOfInstances === 'number') out.numberOfInstances = s.numberOfInstances;
    if (base) Object.assign(out, { retrieveUrl: base, metadataUrl: `${base}/metadata` });
    return ordered(out, STUDY_KEYS);
  });
  return { items, used: kept };
}

const STUDY_KEYS: (keyof StudySummary)[] = [
  'id',
  'studyInstanceUid',
  'accession',
  'status',
  'started',
  'description',
  'modality',
  'bodySite',
  'numberOfSeries',
  'numberOfInstances',
  'retrieveUrl',
  'metadataUrl',
  'series',
];

const SERIES_KEYS: (keyof SeriesSummary)[] = [
  'uid',
  'number',
  'modality',
  'description',
  'bodySite',
  'laterality',
  'numberOfInstances',
  'retrieveUrl',
  'metadataUrl',
];

/** Stable key order in the JSON so documents and golden files read the same way every time. */
function ordered<T extends object>(o: T, keys: (keyof T)[]): T {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as T;
}

const CONFIDENCE = /confidence|probability|certainty/i;

function findingOf(o: Observation): ReportFinding {
  const out: ReportFinding = { id: String(o.id) };
  const code = concept(o.code);
  if (code) out.code = code;
  const site = concept(o.bodySite);
  if (site) out.bodySite = site;
  const q = o.valueQuantity;
  if (q && typeof q.value === 'number') {
    out.value = q.value;
    const unit = str(q.unit) ?? str(q.code);
    if (unit) out.unit = unit;
  } else {
    const v = concept(o.valueCodeableConcept)?.text ?? str(o.valueString);
    if (v !== undefined) out.value = v;
  }
  const conf = asArray(o.component).find((c) => CONFIDENCE.test(JSON.stringify(c.code ?? '')));
  // valueDecimal is not an R4 component value[x], but some producers write it: read as before.
  const cv: unknown = conf
    ? (conf.valueQuantity?.value ?? (conf as { valueDecimal?: unknown }).valueDecimal)
    : undefined;
  if (typeof cv === 'number') out.confidence = cv;
  const tracking = asArray(o.identifier).find(
    (i) => /tracking/i.test(JSON.stringify(i.type ?? '')) || i.system === 'urn:imaging-bridge:tracking-id',
  );
  const trackingId = str(tracking?.value);
  if (trackingId) out.trackingId = trackingId;
  return out;
}

export function buildReports(
  reports: Typed<DiagnosticReport>[],
  included: FhirResource[],
  studies: Typed<ImagingStudy>[],
  o: { since?: number },
): { items: ReportSummary[]; used: FhirResource[] } {
  const observations = new Map(ofType(included, 'Observation').map((r) => [r.id!, r]));
  const devices = new Map(ofType(included, 'Device').map((r) => [r.id!, r]));
  const uids = new Map(studies.map((s) => [s.id!, studyUidOf(s)]));
  const at = (r: DiagnosticReport) => time(r.effectiveDateTime) ?? time(r.effectivePeriod?.start) ?? time(r.issued);
  const kept = newestFirst(
    reports.filter((r) => r.status !== 'entered-in-error' && (o.since === undefined || (at(r) ?? Infinity) >= o.since)),
    at,
    (r) => r.id!,
  );
  const used: FhirResource[] = [...kept];
  const items = kept.map((r): ReportSummary => {
    const ai = !!r.meta?.tag?.some((t) => t.system === AI_RESULT_TAG.system && t.code === AI_RESULT_TAG.code);
    const results = asArray(r.result)
      .map((x) => observations.get(refId(x, 'Observation') ?? ''))
      .filter((x) => !!x);
    used.push(...results);
    const out: ReportSummary = {
      id: r.id!,
      category: asArray(r.category)
        .map(concept)
        .filter((c): c is Concept => !!c),
      imagingStudy: [],
      ai,
      findings: results.map(findingOf),
    };
    const status = str(r.status);
    if (status) out.status = status;
    const code = concept(r.code);
    if (code) out.code = code;
    const effective = str(r.effectiveDateTime);
    if (effective) out.effective = effective;
    const issued = str(r.issued);
    if (issued) out.issued = issued;
    const conclusion = str(r.conclusion);
    if (conclusion) out.conclusion = conclusion;
    out.imagingStudy = asArray(r.imagingStudy).map((ref) => {
      const id = refId(ref, 'ImagingStudy');
      const uid = id ? uids.get(id) : undefined;
      return { ...(id ? { id } : {}), ...(uid ? { studyInstanceUid: uid } : {}) };
    });
    // R4 DiagnosticReport.performer cannot be a Device: the algorithm is on its Observations.
    const device = results.map((x) => x.device).find((d) => d);
    const name = device
      ? (str(device.display) ?? str(asArray(devices.get(refId(device, 'Device') ?? '')?.deviceName)[0]?.name))
      : undefined;
    if (name) out.device = name;
    return out;
  });
  return { items, used };
}
