import { getJson } from './http';

/** Our DICOMweb service (src/dicomweb/urls.ts): PS3.18 paths under /dicomweb. */
const BASE = '/dicomweb';

export const studyPath = (study: string) => `${BASE}/studies/${encodeURIComponent(study)}`;
export const seriesPath = (study: string, series: string) => `${studyPath(study)}/series/${encodeURIComponent(series)}`;
export const instancePath = (study: string, series: string, sop: string) =>
  `${seriesPath(study, series)}/instances/${encodeURIComponent(sop)}`;

/** PS3.18 §10.7 thumbnail of a series. */
export const seriesThumbnail = (study: string, series: string) => `${seriesPath(study, series)}/thumbnail`;

/** PS3.18 §10.4 rendered frame (1-based), with an explicit window when given. */
export function renderedFrame(
  study: string,
  series: string,
  sop: string,
  frame: number,
  window?: { center: number; width: number },
): string {
  const q = window ? `?window=${Math.round(window.center)},${Math.max(1, Math.round(window.width))},linear` : '';
  return `${instancePath(study, series, sop)}/frames/${frame}/rendered${q}`;
}

/** DICOM JSON (PS3.18 F.2): tag → { vr, Value }. */
export type DicomJson = Record<string, { vr: string; Value?: unknown[] } | undefined>;

export const qidoSeries = (study: string) =>
  getJson<DicomJson[]>(`${studyPath(study)}/series`, 'application/dicom+json');
export const qidoStudy = async (study: string) =>
  (
    await getJson<DicomJson[]>(
      `${BASE}/studies?StudyInstanceUID=${encodeURIComponent(study)}&includefield=all`,
      'application/dicom+json',
    )
  )[0];
export const seriesMetadata = (study: string, series: string) =>
  getJson<DicomJson[]>(`${seriesPath(study, series)}/metadata`, 'application/dicom+json');

/** The first value of a tag as text (person names as their alphabetic form). */
export function text(d: DicomJson | undefined, tag: string): string | undefined {
  const v = d?.[tag]?.Value?.[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && v !== null && 'Alphabetic' in v)
    return String((v as { Alphabetic: unknown }).Alphabetic);
  return String(v);
}

export function num(d: DicomJson | undefined, tag: string): number | undefined {
  const v = d?.[tag]?.Value?.[0];
  const n = typeof v === 'number' ? v : Number(v);
  return v === undefined || Number.isNaN(n) ? undefined : n;
}

export const TAG = {
  studyUid: '0020000D',
  seriesUid: '0020000E',
  sopUid: '00080018',
  modality: '00080060',
  seriesNumber: '00200011',
  seriesDescription: '0008103E',
  studyDescription: '00081030',
  studyDate: '00080020',
  patientName: '00100010',
  patientId: '00100020',
  accession: '00080050',
  instanceNumber: '00200013',
  numberOfFrames: '00280008',
  rows: '00280010',
  columns: '00280011',
  windowCenter: '00281050',
  windowWidth: '00281051',
  sliceThickness: '00180050',
  sliceLocation: '00201041',
  bodyPart: '00180015',
  instancesInSeries: '00201209',
  transferSyntax: '00020010',
} as const;
