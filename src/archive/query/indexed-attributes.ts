import type { QidoLevel } from './types.js';

/**
 * The attributes the index answers from its columns: what each returns (a SQL expression
 * over the aliases st = studies, s = series, i = instances) and how it is matched.
 * Everything else of a level is read from that level's stored DICOM JSON.
 */

/** How a returned value becomes DICOM JSON. */
export type RenderKind =
  | 'string' // one string value
  | 'pn' // `alphabetic=ideographic=phonetic` → { Alphabetic, Ideographic, Phonetic }
  | 'number' // IS / US: a JSON number
  | 'multi' // backslash-joined strings
  | 'optional' // like 'string', but absent (not even `vr`) when there is no value
  | 'computed'; // filled by the renderer (RetrieveURL, SpecificCharacterSet, InstanceAvailability)

export type MatchSpec =
  | { kind: 'text'; column: string }
  | { kind: 'uid'; column: string }
  | { kind: 'int'; column: string }
  | { kind: 'date'; column: string; pairedTime?: string }
  | { kind: 'time'; column: string }
  | { kind: 'pn'; alphabetic?: string; all: string }
  | { kind: 'modalities' }
  /** Return only: a value is a 400. */
  | { kind: 'none' }
  /** PS3.4 C.2.2.2: may be sent, is never matched (it names the query's character set). */
  | { kind: 'never' };

export interface IndexedAttribute {
  tag: string;
  keyword: string;
  vr: string;
  level: QidoLevel;
  select?: string;
  render: RenderKind;
  match: MatchSpec;
  /** Kept by the index (aggregates, constants): wins over a value from stored JSON. */
  owned?: boolean;
}

const NONE = { kind: 'none' } as const;

export const INDEXED_ATTRIBUTES: readonly IndexedAttribute[] = [
  // Present at every level, values made by the renderer.
  {
    tag: '00080005',
    keyword: 'SpecificCharacterSet',
    vr: 'CS',
    level: 'study',
    render: 'computed',
    match: { kind: 'never' },
    owned: true,
  },
  {
    tag: '00080056',
    keyword: 'InstanceAvailability',
    vr: 'CS',
    level: 'study',
    render: 'computed',
    match: NONE,
    owned: true,
  },
  { tag: '00081190', keyword: 'RetrieveURL', vr: 'UR', level: 'study', render: 'computed', match: NONE, owned: true },
  // Study (and patient) level.
  {
    tag: '00080020',
    keyword: 'StudyDate',
    vr: 'DA',
    level: 'study',
    select: 'st.study_date',
    render: 'string',
    match: { kind: 'date', column: 'st.study_date', pairedTime: '00080030' },
  },
  // Matched on the normalised column (HHMMSS.FFFFFF); returned as received.
  {
    tag: '00080030',
    keyword: 'StudyTime',
    vr: 'TM',
    level: 'study',
    select: 'st.study_time_raw',
    render: 'string',
    match: { kind: 'time', column: 'st.study_time' },
  },
  {
    tag: '00080050',
    keyword: 'AccessionNumber',
    vr: 'SH',
    level: 'study',
    select: 'st.accession',
    render: 'string',
    match: { kind: 'text', column: 'st.accession' },
  },
  {
    tag: '00080061',
    keyword: 'ModalitiesInStudy',
    vr: 'CS',
    level: 'study',
    select: 'st.modalities',
    render: 'multi',
    match: { kind: 'modalities' },
    owned: true,
  },
  // referring_norm is lower-cased: matched there, returned as received.
  {
    tag: '00080090',
    keyword: 'ReferringPhysicianName',
    vr: 'PN',
    level: 'study',
    select: 'st.referring_name',
    render: 'pn',
    match: { kind: 'pn', all: 'st.referring_norm' },
  },
  {
    tag: '00080201',
    keyword: 'TimezoneOffsetFromUTC',
    vr: 'SH',
    level: 'study',
    select: 'st.timezone_offset',
    render: 'optional',
    match: NONE,
  },
  {
    tag: '00081030',
    keyword: 'StudyDescription',
    vr: 'LO',
    level: 'study',
    select: 'st.description',
    render: 'string',
    match: { kind: 'text', column: 'st.description' },
  },
  {
    tag: '00100010',
    keyword: 'PatientName',
    vr: 'PN',
    level: 'study',
    select: 'st.patient_name',
    render: 'pn',
    match: { kind: 'pn', alphabetic: 'st.patient_name_norm', all: 'st.patient_name_alt_norm' },
  },
  {
    tag: '00100020',
    keyword: 'PatientID',
    vr: 'LO',
    level: 'study',
    select: 'st.patient_id',
    render: 'string',
    match: { kind: 'text', column: 'st.patient_id' },
  },
  {
    tag: '00100030',
    keyword: 'PatientBirthDate',
    vr: 'DA',
    level: 'study',
    select: 'st.patient_birth_date',
    render: 'string',
    match: { kind: 'date', column: 'st.patient_birth_date' },
  },
  {
    tag: '00100040',
    keyword: 'PatientSex',
    vr: 'CS',
    level: 'study',
    select: 'st.patient_sex',
    render: 'string',
    match: { kind: 'text', column: 'st.patient_sex' },
  },
  {
    tag: '0020000D',
    keyword: 'StudyInstanceUID',
    vr: 'UI',
    level: 'study',
    select: 'st.study_uid',
    render: 'string',
    match: { kind: 'uid', column: 'st.study_uid' },
  },
  {
    tag: '00200010',
    keyword: 'StudyID',
    vr: 'SH',
    level: 'study',
    select: 'st.study_id',
    render: 'string',
    match: { kind: 'text', column: 'st.study_id' },
  },
  {
    tag: '00201206',
    keyword: 'NumberOfStudyRelatedSeries',
    vr: 'IS',
    level: 'study',
    select: 'st.num_series',
    render: 'number',
    match: NONE,
    owned: true,
  },
  {
    tag: '00201208',
    keyword: 'NumberOfStudyRelatedInstances',
    vr: 'IS',
    level: 'study',
    select: 'st.num_instances',
    render: 'number',
    match: NONE,
    owned: true,
  },
  // Series level.
  {
    tag: '00080060',
    keyword: 'Modality',
    vr: 'CS',
    level: 'series',
    select: 's.modality',
    render: 'string',
    match: { kind: 'text', column: 's.modality' },
  },
  {
    tag: '0008103E',
    keyword: 'SeriesDescription',
    vr: 'LO',
    level: 'series',
    select: 's.description',
    render: 'string',
    match: { kind: 'text', column: 's.description' },
  },
  {
    tag: '0020000E',
    keyword: 'SeriesInstanceUID',
    vr: 'UI',
    level: 'series',
    select: 's.series_uid',
    render: 'string',
    match: { kind: 'uid', column: 's.series_uid' },
  },
  {
    tag: '00200011',
    keyword: 'SeriesNumber',
    vr: 'IS',
    level: 'series',
    select: 's.series_number',
    render: 'number',
    match: { kind: 'int', column: 's.series_number' },
  },
  {
    tag: '00201209',
    keyword: 'NumberOfSeriesRelatedInstances',
    vr: 'IS',
    level: 'series',
    select: 's.num_instances',
    render: 'number',
    match: NONE,
    owned: true,
  },
  {
    tag: '00400244',
    keyword: 'PerformedProcedureStepStartDate',
    vr: 'DA',
    level: 'series',
    select: 's.pps_start_date',
    render: 'string',
    match: { kind: 'date', column: 's.pps_start_date', pairedTime: '00400245' },
  },
  {
    tag: '00400245',
    keyword: 'PerformedProcedureStepStartTime',
    vr: 'TM',
    level: 'series',
    select: 's.pps_start_time_raw',
    render: 'string',
    match: { kind: 'time', column: 's.pps_start_time' },
  },
  // Instance level.
  {
    tag: '00080016',
    keyword: 'SOPClassUID',
    vr: 'UI',
    level: 'instance',
    select: 'i.sop_class_uid',
    render: 'string',
    match: { kind: 'uid', column: 'i.sop_class_uid' },
  },
  {
    tag: '00080018',
    keyword: 'SOPInstanceUID',
    vr: 'UI',
    level: 'instance',
    select: 'i.sop_uid',
    render: 'string',
    match: { kind: 'uid', column: 'i.sop_uid' },
  },
  {
    tag: '00200013',
    keyword: 'InstanceNumber',
    vr: 'IS',
    level: 'instance',
    select: 'i.instance_number',
    render: 'number',
    match: { kind: 'int', column: 'i.instance_number' },
  },
  {
    tag: '00280008',
    keyword: 'NumberOfFrames',
    vr: 'IS',
    level: 'instance',
    select: 'i.number_of_frames',
    render: 'number',
    match: { kind: 'int', column: 'i.number_of_frames' },
  },
  {
    tag: '00280010',
    keyword: 'Rows',
    vr: 'US',
    level: 'instance',
    select: 'i.rows',
    render: 'number',
    match: { kind: 'int', column: 'i.rows' },
  },
  {
    tag: '00280011',
    keyword: 'Columns',
    vr: 'US',
    level: 'instance',
    select: 'i.columns',
    render: 'number',
    match: { kind: 'int', column: 'i.columns' },
  },
  {
    tag: '00280100',
    keyword: 'BitsAllocated',
    vr: 'US',
    level: 'instance',
    select: 'i.bits_allocated',
    render: 'number',
    match: { kind: 'int', column: 'i.bits_allocated' },
  },
];

const BY_TAG = new Map(INDEXED_ATTRIBUTES.map((a) => [a.tag, a]));

export const indexedAttribute = (tag: string): IndexedAttribute | undefined => BY_TAG.get(tag);

/** Column alias of an attribute's value in a result row. */
export const aliasOf = (tag: string): string => `a${tag}`;
