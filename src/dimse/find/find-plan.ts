/**
 * A C-FIND identifier → the QIDO-RS search that answers it (PS3.4 C.4.1 → PS3.18 10.6), so
 * C-FIND and QIDO-RS match identically. Keys with a value are matching keys; every key is
 * a return key (includefield). Pure.
 */
import type { DicomJson, DicomJsonAttribute } from '../../dicom/index.js';
import type { QidoLevel } from '../../archive/query/index.js';
import type { QueryModel } from '../sop-classes.js';
import { DimseError } from '../status.js';
import { DicomStatus } from '../../core/dicom-status.js';

export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

export interface ReturnKey {
  tag: string;
  vr: string;
}

export interface FindPlan {
  level: QueryLevel;
  qidoLevel: QidoLevel;
  query: URLSearchParams;
  /** In identifier order; QueryRetrieveLevel is always answered and not listed. */
  returnKeys: ReturnKey[];
}

export const TAGS = {
  SpecificCharacterSet: '00080005',
  QueryRetrieveLevel: '00080052',
  RetrieveAETitle: '00080054',
  PatientID: '00100020',
  IssuerOfPatientID: '00100021',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  NumberOfPatientRelatedStudies: '00201200',
  NumberOfPatientRelatedSeries: '00201202',
  NumberOfPatientRelatedInstances: '00201204',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
} as const;

const QIDO_LEVEL: Record<QueryLevel, QidoLevel> = {
  PATIENT: 'study',
  STUDY: 'study',
  SERIES: 'series',
  IMAGE: 'instance',
};

/** Answered by us, not looked up: never sent to QIDO. */
const COMPUTED = new Set<string>([
  TAGS.SpecificCharacterSet,
  TAGS.RetrieveAETitle,
  TAGS.NumberOfPatientRelatedStudies,
  TAGS.NumberOfPatientRelatedSeries,
  TAGS.NumberOfPatientRelatedInstances,
]);

export function queryLevel(identifier: DicomJson, model: QueryModel): QueryLevel {
  const raw = identifier[TAGS.QueryRetrieveLevel]?.Value?.[0];
  const level = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
  const allowed: QueryLevel[] =
    model === 'patient' ? ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'] : ['STUDY', 'SERIES', 'IMAGE'];
  if (!(allowed as string[]).includes(level)) {
    throw new DimseError(
      DicomStatus.IdentifierDoesNotMatchSopClass,
      level
        ? `QueryRetrieveLevel ${level} is not one of ${allowed.join(', ')}`
        : 'the identifier has no QueryRetrieveLevel',
    );
  }
  return level as QueryLevel;
}

export function planFind(identifier: DicomJson, model: QueryModel): FindPlan {
  const level = queryLevel(identifier, model);
  const query = new URLSearchParams();
  const include: string[] = [];
  const returnKeys: ReturnKey[] = [];
  for (const [tag, attr] of Object.entries(identifier)) {
    if (tag === TAGS.QueryRetrieveLevel || tag.startsWith('0000') || tag.startsWith('0002')) continue;
    returnKeys.push({ tag, vr: attr.vr });
    if (COMPUTED.has(tag)) continue;
    include.push(tag);
    if (attr.vr === 'SQ') continue; // sequence matching: not supported, the sequence is returned whole
    const value = matchValue(attr);
    if (value !== undefined) query.append(tag, value);
  }
  if (include.length > 0) query.set('includefield', include.join(','));
  return { level, qidoLevel: QIDO_LEVEL[level], query, returnKeys };
}

/** The QIDO form of one key's value; undefined for universal matching. */
export function matchValue(attr: DicomJsonAttribute): string | undefined {
  const values = attr.Value ?? [];
  if (values.length === 0) return undefined;
  const text = values.map((v) => (attr.vr === 'PN' ? personName(v) : String(v))).join('\\');
  if (text === '' || (attr.vr === 'UI' && text === '*')) return undefined;
  return text;
}

function personName(v: unknown): string {
  if (typeof v !== 'object' || v === null) return String(v ?? '');
  const pn = v as Record<string, string | undefined>;
  return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '');
}
