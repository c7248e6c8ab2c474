/**
 * Test fixtures: a TID 1500 Imaging Measurement Report (Comprehensive SR) in the DICOM JSON
 * model, built from a few parameters (study, images, tracking UIDs), as an AI lung-nodule tool
 * would send it. Used by the golden files (src/ai-results/sr/golden) and the end-to-end test.
 */
import type { DicomJson, DicomJsonAttribute } from '../../dicom/types.js';

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

type Code = [value: string, scheme: string, meaning: string];
const cs = (v: string): DicomJsonAttribute => ({ vr: 'CS', Value: [v] });
const ui = (v: string): DicomJsonAttribute => ({ vr: 'UI', Value: [v] });
const seq = (...items: DicomJson[]): DicomJsonAttribute => ({ vr: 'SQ', Value: items });
const code = ([value, scheme, meaning]: Code): DicomJson => ({
  '00080100': { vr: 'SH', Value: [value] },
  '00080102': { vr: 'SH', Value: [scheme] },
  '00080104': { vr: 'LO', Value: [meaning] },
});

function item(rel: string, type: string, name: Code, value: DicomJson, children: DicomJson[] = []): DicomJson {
  return {
    '0040A010': cs(rel),
    '0040A040': cs(type),
    '0040A043': seq(code(name)),
    ...value,
    ...(type === 'CONTAINER' ? { '0040A050': cs('SEPARATE') } : {}),
    ...(children.length ? { '0040A730': seq(...children) } : {}),
  };
}

const textItem = (rel: string, name: Code, v: string) =>
  item(rel, 'TEXT', name, { '0040A160': { vr: 'UT', Value: [v] } });
const uidItem = (rel: string, name: Code, v: string) => item(rel, 'UIDREF', name, { '0040A124': ui(v) });
const codeItem = (rel: string, name: Code, v: Code, children: DicomJson[] = []) =>
  item(rel, 'CODE', name, { '0040A168': seq(code(v)) }, children);
const imageItem = (rel: string, name: Code, sop: string) =>
  item(rel, 'IMAGE', name, { '00081199': seq({ '00081150': ui(CT_IMAGE_STORAGE), '00081155': ui(sop) }) });
function numItem(name: Code, value: string, unit: Code, children: DicomJson[] = []): DicomJson {
  return item(
    'CONTAINS',
    'NUM',
    name,
    { '0040A300': seq({ '004008EA': seq(code(unit)), '0040A30A': { vr: 'DS', Value: [value] } }) },
    children,
  );
}

const C = {
  report: ['126000', 'DCM', 'Imaging Measurement Report'] as Code,
  language: ['121049', 'DCM', 'Language of Content Item and Descendants'] as Code,
  english: ['eng', 'RFC5646', 'English'] as Code,
  observerType: ['121005', 'DCM', 'Observer Type'] as Code,
  device: ['121007', 'DCM', 'Device'] as Code,
  deviceUid: ['121012', 'DCM', 'Device Observer UID'] as Code,
  deviceName: ['121013', 'DCM', 'Device Observer Name'] as Code,
  deviceManufacturer: ['121014', 'DCM', 'Device Observer Manufacturer'] as Code,
  deviceModel: ['121015', 'DCM', 'Device Observer Model Name'] as Code,
  procedure: ['121058', 'DCM', 'Procedure reported'] as Code,
  ct: ['77477000', 'SCT', 'Computerized tomography'] as Code,
  imageLibrary: ['111028', 'DCM', 'Image Library'] as Code,
  imageLibraryGroup: ['126200', 'DCM', 'Image Library Group'] as Code,
  imagingMeasurements: ['126010', 'DCM', 'Imaging Measurements'] as Code,
  group: ['125007', 'DCM', 'Measurement Group'] as Code,
  trackingId: ['112039', 'DCM', 'Tracking Identifier'] as Code,
  trackingUid: ['112040', 'DCM', 'Tracking Unique Identifier'] as Code,
  finding: ['121071', 'DCM', 'Finding'] as Code,
  nodule: ['27925004', 'SCT', 'Nodule'] as Code,
  findingSite: ['363698007', 'SCT', 'Finding Site'] as Code,
  lung: ['39607008', 'SCT', 'Lung'] as Code,
  laterality: ['272741003', 'SCT', 'Laterality'] as Code,
  right: ['24028007', 'SCT', 'Right'] as Code,
  left: ['7771000', 'SCT', 'Left'] as Code,
  longAxis: ['103339001', 'SCT', 'Long Axis'] as Code,
  volume: ['118565006', 'SCT', 'Volume'] as Code,
  mm: ['mm', 'UCUM', 'mm'] as Code,
  mm3: ['mm3', 'UCUM', 'cubic millimeter'] as Code,
  imageRegion: ['111030', 'DCM', 'Image Region'] as Code,
  // ◐ concept name of the IMAGE references (the reader does not look at it)
  sourceImage: ['121112', 'DCM', 'Source of Measurement'] as Code,
  algorithmName: ['111001', 'DCM', 'Algorithm Name'] as Code,
  algorithmVersion: ['111003', 'DCM', 'Algorithm Version'] as Code,
  risk: ['RISK', '99EXAI', 'Malignancy risk'] as Code,
  lowRisk: ['LOW', '99EXAI', 'Low'] as Code,
  qualitative: ['C0034375', 'UMLS', 'Qualitative Evaluations'] as Code,
  impression: ['121073', 'DCM', 'Impression'] as Code,
};

export interface SrFixture {
  /** The study measured (the evidence). */
  study: string;
  /** The SR's own StudyInstanceUID when it is stored apart from the study it measures. */
  srStudy?: string;
  /** The CT series and its instances the measurements were made on. */
  ctSeries: string;
  ctInstances: string[];
  srSeries: string;
  srInstance: string;
  patientId?: string;
  patientName?: string;
  /** Tracking UID of the first nodule (the second one has only a Tracking Identifier). */
  trackingUid: string;
  /** Long axis of the first nodule, mm. */
  longAxis?: string;
  contentDate?: string;
}

export function tid1500Report(f: SrFixture): DicomJson {
  const [first, second = first] = f.ctInstances;
  const groups = [
    item('CONTAINS', 'CONTAINER', C.group, {}, [
      textItem('HAS OBS CONTEXT', C.trackingId, 'Nodule 1'),
      uidItem('HAS OBS CONTEXT', C.trackingUid, f.trackingUid),
      codeItem('CONTAINS', C.finding, C.nodule),
      codeItem('HAS CONCEPT MOD', C.findingSite, C.lung, [codeItem('HAS CONCEPT MOD', C.laterality, C.right)]),
      numItem(C.longAxis, f.longAxis ?? '6.2', C.mm, [imageItem('INFERRED FROM', C.sourceImage, first!)]),
      numItem(C.volume, '112', C.mm3),
      codeItem('CONTAINS', C.risk, C.lowRisk),
      textItem('HAS CONCEPT MOD', C.algorithmName, 'LungNodule'),
      textItem('HAS CONCEPT MOD', C.algorithmVersion, '3.0'),
    ]),
    item('CONTAINS', 'CONTAINER', C.group, {}, [
      textItem('HAS OBS CONTEXT', C.trackingId, 'Nodule 2'),
      codeItem('CONTAINS', C.finding, C.nodule),
      codeItem('HAS CONCEPT MOD', C.findingSite, C.lung, [codeItem('HAS CONCEPT MOD', C.laterality, C.left)]),
      numItem(C.longAxis, '4.1', C.mm, [imageItem('INFERRED FROM', C.sourceImage, second!)]),
    ]),
  ];
  return {
    '00080005': cs('ISO_IR 192'),
    '00080016': ui(COMPREHENSIVE_SR),
    '00080018': ui(f.srInstance),
    '00080020': { vr: 'DA', Value: [f.contentDate ?? '20250310'] },
    '00080023': { vr: 'DA', Value: [f.contentDate ?? '20250310'] },
    '00080030': { vr: 'TM', Value: ['080000'] },
    '00080033': { vr: 'TM', Value: ['081500'] },
    '00080050': { vr: 'SH', Value: ['ACC-SR'] },
    '00080060': cs('SR'),
    '00080070': { vr: 'LO', Value: ['Example AI'] },
    '00080090': { vr: 'PN' },
    '00081111': { vr: 'SQ', Value: [] },
    '00081090': { vr: 'LO', Value: ['LungNodule CT'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: f.patientName ?? 'Doe^Jane' }] },
    '00100020': { vr: 'LO', Value: [f.patientId ?? 'P-SR-1'] },
    '00100030': { vr: 'DA' },
    '00100040': { vr: 'CS' },
    '00181020': { vr: 'LO', Value: ['3.0.1'] },
    '0020000D': ui(f.srStudy ?? f.study),
    '0020000E': ui(f.srSeries),
    '00200010': { vr: 'SH', Value: ['1'] },
    '00200011': { vr: 'IS', Value: [901] },
    '00200013': { vr: 'IS', Value: [1] },
    '0040A040': cs('CONTAINER'),
    '0040A043': seq(code(C.report)),
    '0040A050': cs('SEPARATE'),
    '0040A375': seq({
      '00081115': seq({
        '0020000E': ui(f.ctSeries),
        '00081199': seq(...f.ctInstances.map((sop) => ({ '00081150': ui(CT_IMAGE_STORAGE), '00081155': ui(sop) }))),
      }),
      '0020000D': ui(f.study),
    }),
    '0040A372': { vr: 'SQ', Value: [] },
    '0040A491': cs('COMPLETE'),
    '0040A493': cs('UNVERIFIED'),
    '0040A504': seq({ '00080105': cs('DCMR'), '0040DB00': cs('1500') }),
    '0040A730': seq(
      codeItem('HAS CONCEPT MOD', C.language, C.english),
      codeItem('HAS OBS CONTEXT', C.observerType, C.device),
      uidItem('HAS OBS CONTEXT', C.deviceUid, `${f.srSeries}.77`),
      textItem('HAS OBS CONTEXT', C.deviceName, 'LungNodule'),
      textItem('HAS OBS CONTEXT', C.deviceManufacturer, 'Example AI'),
      textItem('HAS OBS CONTEXT', C.deviceModel, 'LungNodule CT'),
      codeItem('HAS CONCEPT MOD', C.procedure, C.ct),
      item('CONTAINS', 'CONTAINER', C.imageLibrary, {}, [
        item(
          'CONTAINS',
          'CONTAINER',
          C.imageLibraryGroup,
          {},
          f.ctInstances.map((sop) => imageItem('CONTAINS', C.sourceImage, sop)),
        ),
      ]),
      item('CONTAINS', 'CONTAINER', C.imagingMeasurements, {}, groups),
      item('CONTAINS', 'CONTAINER', C.qualitative, {}, [
        textItem('CONTAINS', C.impression, 'Two small pulmonary nodules; follow-up CT in 12 months.'),
      ]),
    ),
  };
}

/** The fixture of the golden files. */
export const GOLDEN_FIXTURE: SrFixture = {
  study: '1.2.826.0.1.3680043.10.1456.90.1',
  ctSeries: '1.2.826.0.1.3680043.10.1456.90.1.1',
  ctInstances: ['1.2.826.0.1.3680043.10.1456.90.1.1.1', '1.2.826.0.1.3680043.10.1456.90.1.1.2'],
  srSeries: '1.2.826.0.1.3680043.10.1456.90.1.9',
  srInstance: '1.2.826.0.1.3680043.10.1456.90.1.9.1',
  trackingUid: '1.2.826.0.1.3680043.10.1456.90.7.1',
};
