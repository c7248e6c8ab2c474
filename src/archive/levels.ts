import type { DicomJson } from '../dicom/types.js';

/**
 * Which attributes belong to the patient/study level and which to the series level, so
 * QIDO-RS can answer includefield from the index without opening instances.
 */
const STUDY_TAGS = new Set([
  '00080005',
  '00080020',
  '00080030',
  '00080050',
  '00080051',
  '00080056',
  '00080090',
  '00080096',
  '00080201',
  '00081030',
  '00081032',
  '00081060',
  '00081080',
  '00081110',
  '0020000D',
  '00200010',
  '00321032',
  '00321060',
  '00321064',
  '00380010',
  '00101000',
  '00101001',
  '00101002',
]);

const SERIES_TAGS = new Set([
  '00080005',
  '00080021',
  '00080031',
  '00080060',
  '00080070',
  '00080080',
  '00081010',
  '0008103E',
  '00081040',
  '00081050',
  '00081070',
  '00081090',
  '00081111',
  '00180015',
  '00181030',
  '00185100',
  '0020000E',
  '00200011',
  '00200052',
  '00200060',
  '00400244',
  '00400245',
  '00400253',
  '00400254',
  '00400275',
  '00201209',
]);

const isPatientTag = (tag: string) => tag.startsWith('0010');

export function isStudyLevelTag(tag: string): boolean {
  return isPatientTag(tag) || STUDY_TAGS.has(tag);
}

export function isSeriesLevelTag(tag: string): boolean {
  return SERIES_TAGS.has(tag);
}

export function pick(json: DicomJson, keep: (tag: string) => boolean): DicomJson {
  const out: DicomJson = {};
  for (const tag of Object.keys(json)) if (keep(tag)) out[tag] = json[tag]!;
  return out;
}
