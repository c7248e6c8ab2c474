/** imagingStudies and reports sections: ImagingStudy and DiagnosticReport (AI results included). */
import type { FhirResource } from '../fhir/types.js';
import {
  asArray,
  coding,
  concept,
  newestFirst,
  refId,
  str,
  time,
  type CodingOut,
  type Concept,
  type Json,
} from './fhir-read.js';

const DICOM_UID = 'urn:dicom:uid';
const ACSN = 'ACSN';
/** Tag our AI write-back puts on what it writes (src/ai-results). */
export const AI_RESULT_TAG = { system: 'urn:imaging-bridge:tag', code: 'ai-result' };

export interface SeriesSummary {
  uid: string;
  number?: number;
  modality?: string;
  description?: string;
  bodySite?: CodingOut;
  laterality?: CodingOut;
  numberOfInstances?: number;
  retrieveUrl: string;
  metadataUrl: string;
}

export interface StudySummary {
  id: string;
  studyInstanceUid?: string;
  accession?: string;
  status?: string;
  started?: string;
  description?: string;
  modality: string[];
  bodySite: CodingOut[];
  numberOfSeries?: number;
  numberOfInstances?: number;
  retrieveUrl?: string;
  metadataUrl?: string;
  series: SeriesSummary[];
}

const studyUidOf = (s: Json): string | undefined => {
  const id = asArray(s.identifier).find((i) => i.system === DICOM_UID && typeof i.value === 'string');
  return id ? (id.value as string).replace(/^urn:oid:/, '') : undefined;
};

const accessionOf = (s: Json): string | undefined => {
  const ids = asArray(s.identifier);
  const typed = ids.find((i) => asArray((i.type as Json | undefined)?.coding).some((c) => c.code === ACSN));
  const basedOn = asArray(s.basedOn)
    .map((b) => b.identifier as Json | undefined)
    .find((i) => i && asArray((i.type as Json | undefined)?.coding).some((c) => c.code === ACSN));
  return str(typed?.value) ?? str(basedOn?.value);
};

const unique = <T>(items: (T | undefined)[], keyOf: (t: T) => string): T[] => {
  const seen = new Map<string, T>();
  for (const i of items) if (i !== undefined && !seen.has(keyOf(i))) seen.set(keyOf(i), i);
  return [...seen.values()];
};

/** Newest first, since-filtered, at most `limit`; WADO-RS URLs under our DICOMweb base. */
export function buildImagingStudies(
  studies: FhirResource[],
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
      if (str(se.description)) out.description = se.description as string;
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
    if (str(s.status)) out.status = s.status as string;
    if (str(s.started)) out.started = s.started as string;
    if (str(s.description)) out.description = s.description as string;
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

export interface Finding {
  id: string;
  code?: Concept;
  bodySite?: Concept;
  value?: number | string;
  unit?: string;
  confidence?: number;
  trackingId?: string;
}

export interface ReportSummary {
  id: string;
  status?: string;
  code?: Concept;
  category: Concept[];
  effective?: string;
  issued?: string;
  conclusion?: string;
  /** ImagingStudy ids and, when we know them, their StudyInstanceUIDs. */
  imagingStudy: { id?: string; studyInstanceUid?: string }[];
  ai: boolean;
  /** The algorithm (Device) its results name: `model version`. */
  device?: string;
  findings: Finding[];
}

const CONFIDENCE = /confidence|probability|certainty/i;

function findingOf(o: Json): Finding {
  const out: Finding = { id: String(o.id) };
  const code = concept(o.code);
  if (code) out.code = code;
  const site = concept(o.bodySite);
  if (site) out.bodySite = site;
  const q = o.valueQuantity as Json | undefined;
  if (q && typeof q.value === 'number') {
    out.value = q.value;
    if (str(q.unit) ?? str(q.code)) out.unit = (str(q.unit) ?? str(q.code))!;
  } else {
    const v = concept(o.valueCodeableConcept)?.text ?? str(o.valueString);
    if (v !== undefined) out.value = v;
  }
  const conf = asArray(o.component).find((c) => CONFIDENCE.test(JSON.stringify(c.code ?? '')));
  const cv = conf ? ((conf.valueQuantity as Json | undefined)?.value ?? conf.valueDecimal) : undefined;
  if (typeof cv === 'number') out.confidence = cv;
  const tracking = asArray(o.identifier).find(
    (i) => /tracking/i.test(JSON.stringify(i.type ?? '')) || i.system === 'urn:imaging-bridge:tracking-id',
  );
  if (str(tracking?.value)) out.trackingId = tracking!.value as string;
  return out;
}

export function buildReports(
  reports: FhirResource[],
  included: FhirResource[],
  studies: FhirResource[],
  o: { since?: number },
): { items: ReportSummary[]; used: FhirResource[] } {
  const observations = new Map(included.filter((r) => r.resourceType === 'Observation').map((r) => [r.id!, r]));
  const devices = new Map(included.filter((r) => r.resourceType === 'Device').map((r) => [r.id!, r]));
  const uids = new Map(studies.map((s) => [s.id!, studyUidOf(s)]));
  const at = (r: Json) =>
    time(r.effectiveDateTime) ?? time((r.effectivePeriod as Json | undefined)?.start) ?? time(r.issued);
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
      .filter((x): x is FhirResource => !!x);
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
    if (str(r.status)) out.status = r.status as string;
    const code = concept(r.code);
    if (code) out.code = code;
    if (str(r.effectiveDateTime)) out.effective = r.effectiveDateTime as string;
    if (str(r.issued)) out.issued = r.issued as string;
    if (str(r.conclusion)) out.conclusion = r.conclusion as string;
    out.imagingStudy = asArray(r.imagingStudy).map((ref) => {
      const id = refId(ref, 'ImagingStudy');
      const uid = id ? uids.get(id) : undefined;
      return { ...(id ? { id } : {}), ...(uid ? { studyInstanceUid: uid } : {}) };
    });
    // R4 DiagnosticReport.performer cannot be a Device: the algorithm is on its Observations.
    const device = results.map((x) => x.device as Json | undefined).find((d) => d);
    const name = device
      ? (str(device.display) ?? str(asArray(devices.get(refId(device, 'Device') ?? '')?.deviceName)[0]?.name))
      : undefined;
    if (name) out.device = name;
    return out;
  });
  return { items, used };
}
