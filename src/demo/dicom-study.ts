import { encodePart10, tagOfKeyword, tagToHex, vrOfTag, type DicomJson } from '../dicom/index.js';
import { ACCESSION_SYSTEM, DICOM_ISSUER, MRN_SYSTEM } from './identifiers.js';
import { IMAGE_SIZE, phantomPixels } from './pixels.js';
import type { DemoSeries, DemoStudy, OrderPriority } from './types.js';

const SOP_CLASS = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  DX: '1.2.840.10008.5.1.4.1.1.1.1',
} as const;
const PRIORITY: Record<OrderPriority, string> = { stat: 'STAT', asap: 'HIGH', urgent: 'HIGH', routine: 'ROUTINE' };
const MODEL = { CT: 'Synthetic CT 64', MR: 'Synthetic MR 1.5T', DX: 'Synthetic DR' } as const;

export interface DemoInstance {
  sopInstanceUid: string;
  /** A Part 10 file (Explicit VR Little Endian). */
  bytes: Buffer;
}

/** The Part 10 files of one demo study: same bytes every time, so storing them again is a duplicate. */
export function studyInstances(study: DemoStudy): DemoInstance[] {
  return [...eachStudyInstance(study)];
}

/**
 * studyInstances one file at a time, each made when it is asked for: the loader stores a few at
 * a time instead of making all 467 first (issue 21: ≈ 4 MB less of malloc's heap resident in the
 * idle server).
 */
export function* eachStudyInstance(study: DemoStudy): Generator<DemoInstance> {
  for (const series of study.series) for (let i = 1; i <= series.instances; i++) yield instance(study, series, i);
}

function instance(study: DemoStudy, series: DemoSeries, number: number): DemoInstance {
  const seriesUid = `${study.uid}.${series.number}`;
  const sopInstanceUid = `${seriesUid}.${number}`;
  const acquired = study.start + (series.number - 1) * 120_000 + number * 1_000;
  const json = dataset({
    SpecificCharacterSet: 'ISO_IR 100',
    ImageType: study.modality === 'DX' ? ['ORIGINAL', 'PRIMARY'] : ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    SOPClassUID: SOP_CLASS[study.modality],
    SOPInstanceUID: sopInstanceUid,
    StudyDate: da(study.start),
    SeriesDate: da(study.start),
    ContentDate: da(acquired),
    StudyTime: tm(study.start),
    SeriesTime: tm(study.start + (series.number - 1) * 120_000),
    ContentTime: tm(acquired),
    AcquisitionDateTime: `${da(acquired)}${tm(acquired)}+0000`,
    AccessionNumber: study.accession,
    IssuerOfAccessionNumberSequence: [{ UniversalEntityID: ACCESSION_SYSTEM, UniversalEntityIDType: 'URI' }],
    Modality: study.modality,
    Manufacturer: 'ImagingBridge Demo',
    InstitutionName: 'Example General Hospital',
    ReferringPhysicianName: [{ Alphabetic: study.referringPhysician }],
    StationName: `${study.modality}1`,
    StudyDescription: study.description,
    SeriesDescription: series.description,
    ManufacturerModelName: MODEL[study.modality],
    TimezoneOffsetFromUTC: '+0000',
    PatientName: [{ Alphabetic: `${study.patient.family}^${study.patient.given}` }],
    PatientID: study.patient.mrn,
    IssuerOfPatientID: DICOM_ISSUER,
    IssuerOfPatientIDQualifiersSequence: [{ UniversalEntityID: MRN_SYSTEM, UniversalEntityIDType: 'URI' }],
    PatientBirthDate: study.patient.birthDate.replace(/-/g, ''),
    PatientSex: study.patient.sex,
    PatientAge: age(study.patient.birthDate, study.start),
    BodyPartExamined: study.bodyPart,
    ...(study.modality === 'CT' ? { KVP: 120, SliceThickness: series.sliceThickness } : {}),
    ...(study.modality === 'MR' ? { SliceThickness: series.sliceThickness, MagneticFieldStrength: 1.5 } : {}),
    StudyInstanceUID: study.uid,
    SeriesInstanceUID: seriesUid,
    StudyID: study.accession.slice(-6),
    SeriesNumber: series.number,
    InstanceNumber: number,
    ...(study.modality === 'DX'
      ? { PatientOrientation: ['L', 'F'] }
      : {
          ImagePositionPatient: [-112, -112, (number - 1) * series.sliceThickness],
          ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
          FrameOfReferenceUID: `${study.uid}.${series.number}.0`,
          SliceLocation: (number - 1) * series.sliceThickness,
        }),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: IMAGE_SIZE,
    Columns: IMAGE_SIZE,
    PixelSpacing: study.modality === 'DX' ? [5.6, 5.6] : [3.5, 3.5],
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    ...(study.modality === 'CT'
      ? { RescaleIntercept: -1024, RescaleSlope: 1, RescaleType: 'HU', WindowCenter: 40, WindowWidth: 80 }
      : {}),
    RequestAttributesSequence: [
      {
        RequestedProcedureID: study.accession,
        ScheduledProcedureStepID: `${study.accession}-1`,
        RequestedProcedureDescription: study.description,
      },
    ],
    RequestedProcedurePriority: PRIORITY[study.priority],
  });
  const seed = Number(study.uid.split('.').slice(-2).join('')) * 100 + series.number;
  json['7FE00010'] = { vr: 'OW', InlineBinary: phantomPixels(study.modality, seed, number).toString('base64') };
  return { sopInstanceUid, bytes: encodePart10(json) };
}

type Value = string | number | (string | number)[] | { Alphabetic: string }[] | Record<string, Value>[];

/** DICOM JSON from keywords (the dictionary gives tag and VR). */
function dataset(values: Record<string, Value>): DicomJson {
  const out: DicomJson = {};
  for (const [keyword, value] of Object.entries(values)) {
    const tag = tagOfKeyword(keyword);
    if (tag === undefined) throw new Error(`demo: unknown DICOM keyword ${keyword}`);
    const vr = vrOfTag(tag) ?? 'UN';
    const list = Array.isArray(value) ? value : [value];
    out[tagToHex(tag)] = { vr, Value: vr === 'SQ' ? (list as Record<string, Value>[]).map(dataset) : list };
  }
  return out;
}

const da = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
const tm = (ms: number) => new Date(ms).toISOString().slice(11, 19).replace(/:/g, '');

function age(birthDate: string, at: number): string {
  const years = Math.floor((at - Date.parse(birthDate)) / (365.2425 * 86_400_000));
  return `${String(years).padStart(3, '0')}Y`;
}
