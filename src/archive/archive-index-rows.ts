import { alphabetic, integer, normalizeTime, text } from './json-values.js';
import { isSeriesLevelTag, isStudyLevelTag, pick } from './levels.js';
import { serializeMetadata } from './metadata-text.js';
import type { InstanceRecord } from './types.js';

/**
 * The column values of the study, series and instance rows an InstanceRecord makes, the same
 * for every ArchiveIndex implementation (the QIDO compilers match these columns).
 */
const T = {
  PatientID: '00100020',
  IssuerOfPatientID: '00100021',
  PatientName: '00100010',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  StudyID: '00200010',
  ReferringPhysicianName: '00080090',
  StudyDescription: '00081030',
  TimezoneOffsetFromUTC: '00080201',
  Modality: '00080060',
  SeriesNumber: '00200011',
  SeriesDescription: '0008103E',
  PpsStartDate: '00400244',
  PpsStartTime: '00400245',
  InstanceNumber: '00200013',
  Rows: '00280010',
  Columns: '00280011',
  BitsAllocated: '00280100',
  NumberOfFrames: '00280008',
} as const;

export const patientKey = (r: InstanceRecord) => ({
  patientId: text(r.json, T.PatientID),
  issuer: text(r.json, T.IssuerOfPatientID),
});

export function studyRow(r: InstanceRecord) {
  const j = r.json;
  return {
    studyUid: r.studyUid,
    patientId: text(j, T.PatientID),
    patientName: text(j, T.PatientName),
    patientNameNorm: alphabetic(j, T.PatientName).toLowerCase(),
    patientNameAltNorm: text(j, T.PatientName).toLowerCase(),
    birthDate: text(j, T.PatientBirthDate),
    sex: text(j, T.PatientSex),
    studyDate: text(j, T.StudyDate),
    studyTime: normalizeTime(text(j, T.StudyTime)),
    studyTimeRaw: text(j, T.StudyTime),
    accession: text(j, T.AccessionNumber),
    studyId: text(j, T.StudyID),
    referringNorm: text(j, T.ReferringPhysicianName).toLowerCase(),
    referringName: text(j, T.ReferringPhysicianName),
    timezoneOffset: text(j, T.TimezoneOffsetFromUTC),
    description: text(j, T.StudyDescription),
    json: JSON.stringify(pick(j, isStudyLevelTag)),
  };
}

export function seriesRow(r: InstanceRecord) {
  const j = r.json;
  return {
    seriesUid: r.seriesUid,
    modality: text(j, T.Modality),
    seriesNumber: integer(j, T.SeriesNumber),
    description: text(j, T.SeriesDescription),
    ppsDate: text(j, T.PpsStartDate),
    ppsTime: normalizeTime(text(j, T.PpsStartTime)),
    ppsTimeRaw: text(j, T.PpsStartTime),
    json: JSON.stringify(pick(j, isSeriesLevelTag)),
  };
}

export function instanceRow(r: InstanceRecord) {
  const j = r.json;
  return {
    sopUid: r.sopUid,
    sopClassUid: r.sopClassUid,
    instanceNumber: integer(j, T.InstanceNumber),
    rows: integer(j, T.Rows),
    columns: integer(j, T.Columns),
    bitsAllocated: integer(j, T.BitsAllocated),
    numberOfFrames: integer(j, T.NumberOfFrames),
    transferSyntaxUid: r.transferSyntaxUid,
    blobKey: r.blobKey,
    size: r.size,
    datasetOffset: r.datasetOffset,
    source: r.source,
    metadata: serializeMetadata(j),
  };
}
