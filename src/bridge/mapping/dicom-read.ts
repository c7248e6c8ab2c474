/**
 * Reading values out of DICOM JSON (PS3.18 Annex F) for the bridge: tags by keyword, plain
 * strings, person names, integers and sequence items. Absent or empty → undefined, never "".
 */
import type { DicomJson } from '../../dicom/types.js';

export const TAG = {
  SpecificCharacterSet: '00080005',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyDate: '00080020',
  SeriesDate: '00080021',
  ContentDate: '00080023',
  AcquisitionDateTime: '0008002A',
  StudyTime: '00080030',
  SeriesTime: '00080031',
  ContentTime: '00080033',
  AccessionNumber: '00080050',
  IssuerOfAccessionNumberSequence: '00080051',
  Modality: '00080060',
  Manufacturer: '00080070',
  InstitutionName: '00080080',
  ReferringPhysicianName: '00080090',
  CodeValue: '00080100',
  CodingSchemeDesignator: '00080102',
  CodeMeaning: '00080104',
  TimezoneOffsetFromUTC: '00080201',
  StationName: '00081010',
  StudyDescription: '00081030',
  ProcedureCodeSequence: '00081032',
  SeriesDescription: '0008103E',
  PerformingPhysicianName: '00081050',
  NameOfPhysiciansReadingStudy: '00081060',
  OperatorsName: '00081070',
  AnatomicRegionSequence: '00082218',
  PatientName: '00100010',
  PatientID: '00100020',
  IssuerOfPatientID: '00100021',
  IssuerOfPatientIDQualifiersSequence: '00100024',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  BodyPartExamined: '00180015',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  Laterality: '00200060',
  ImageLaterality: '00200062',
  LocalNamespaceEntityID: '00400031',
  UniversalEntityID: '00400032',
  UniversalEntityIDType: '00400033',
  RequestAttributesSequence: '00400275',
  ReasonForTheRequestedProcedure: '00401002',
  ReasonForRequestedProcedureCodeSequence: '0040100A',
  ReasonForPerformedProcedureCodeSequence: '00401012',
  ConceptNameCodeSequence: '0040A043',
  DocumentTitle: '00420010',
  ContentLabel: '00700080',
} as const;

export interface PersonNameGroups {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** First value as text (numbers as decimal text); undefined when absent or empty. */
export function str(json: DicomJson, tag: string): string | undefined {
  return strs(json, tag)[0];
}

/** All non-empty values as text. PN values are skipped (use personNames). */
export function strs(json: DicomJson, tag: string): string[] {
  const out: string[] = [];
  for (const v of json[tag]?.Value ?? []) {
    if (typeof v === 'string' && v.trim() !== '') out.push(v);
    else if (typeof v === 'number' || typeof v === 'bigint') out.push(String(v));
  }
  return out;
}

/** All PN values as component groups (a plain string value counts as its Alphabetic group). */
export function personNames(json: DicomJson, tag: string): PersonNameGroups[] {
  const out: PersonNameGroups[] = [];
  for (const v of json[tag]?.Value ?? []) {
    if (typeof v === 'string' && v !== '') out.push({ Alphabetic: v });
    else if (v && typeof v === 'object') out.push(v as PersonNameGroups);
  }
  return out;
}

/** First value as an integer, accepting numeric strings; undefined otherwise. */
export function int(json: DicomJson, tag: string): number | undefined {
  const v = json[tag]?.Value?.[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Items of a sequence attribute. */
export function items(json: DicomJson, tag: string): DicomJson[] {
  return (json[tag]?.Value ?? []).filter((v): v is DicomJson => !!v && typeof v === 'object');
}

/** (CodeValue, CodingSchemeDesignator, CodeMeaning) of a code sequence item. */
export interface DicomCode {
  value?: string;
  scheme?: string;
  meaning?: string;
}

export function codeOf(item: DicomJson): DicomCode {
  return {
    value: str(item, TAG.CodeValue),
    scheme: str(item, TAG.CodingSchemeDesignator),
    meaning: str(item, TAG.CodeMeaning),
  };
}

/** The first value a reader finds in the instances, in their order. */
export function firstOf<T>(instances: DicomJson[], read: (json: DicomJson) => T | undefined): T | undefined {
  for (const json of instances) {
    const v = read(json);
    if (v !== undefined) return v;
  }
  return undefined;
}
