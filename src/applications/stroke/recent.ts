/**
 * The recent stroke checks (GET /api/stroke/recent): the persisted runs on our own server, newest
 * run first — one List per head CT/MR study, its DetectedIssues (present / unknown factors), the
 * study and the patient — so a console lists recent head studies with their flags in two reads.
 */
import type { DetectedIssue, ImagingStudy, List, Patient } from '@medplum/fhirtypes';
import { type FactorId, FACTOR_IDS } from '../../clinical/stroke/index.js';
import type { AccessPolicy } from '../../context/index.js';
import { badRequest } from '../../core/errors.js';
import type { FhirReader } from '../../fhir/client/index.js';
import { ID_PATTERN } from '../../fhir/repository/repository.js';
import type { FhirResource } from '../../fhir/types.js';
import { readRunNote, RUN_CODE, STROKE_SYSTEM } from './persist.js';

export interface RecentRequest {
  limit: number;
  /** Runs skipped (newest first): page n of `limit` starts at (n - 1) × limit. */
  offset: number;
  /** A Patient id of the record server (the context API's): that patient's runs only. */
  patient?: string;
  /** Our Patient ids the runs are filed under (set by the service; the record's id when it is ours). */
  subjects?: string[];
}

export interface RecentRun {
  studyInstanceUid: string;
  /** The ImagingStudy on our server; null when it is gone or the caller may not read it. */
  study: { id: string; started?: string; description?: string; modality?: string[] } | null;
  /** Our Patient; null when the caller may not read it. */
  patient: { id: string; name?: string; identifier: { system?: string; value?: string }[] } | null;
  /** When the run was made (a later AI result re-runs it). */
  assessedAt?: string;
  guideline?: string;
  referenceTime?: string;
  referenceTimeSource?: string;
  present: FactorId[];
  unknown: FactorId[];
  /** false when a clinical source failed during the run. */
  complete: boolean;
}

const KNOWN = ['limit', 'offset', 'patient'];
const DICOM_UID = 'urn:dicom:uid';
export const RECENT_DEFAULT = 20;
export const RECENT_MAX = 100;
export const RECENT_MAX_OFFSET = 10_000;

/** A page of runs and how many there are in all (for paging). */
export interface RecentPage {
  runs: RecentRun[];
  total: number;
}

export function parseRecentQuery(query: URLSearchParams): RecentRequest {
  for (const name of new Set(query.keys())) {
    if (!KNOWN.includes(name)) throw badRequest(`unknown parameter "${name}" (known: ${KNOWN.join(', ')})`, name);
    if (query.getAll(name).length > 1) throw badRequest(`parameter "${name}" is given more than once`, name);
  }
  const out: RecentRequest = { limit: RECENT_DEFAULT, offset: 0 };
  const limit = query.get('limit');
  if (limit !== null) {
    if (!/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > RECENT_MAX)
      throw badRequest(`"limit" must be a whole number from 1 to ${RECENT_MAX}`, 'limit');
    out.limit = Number(limit);
  }
  const offset = query.get('offset');
  if (offset !== null) {
    if (!/^\d{1,5}$/.test(offset) || Number(offset) > RECENT_MAX_OFFSET)
      throw badRequest(`"offset" must be a whole number from 0 to ${RECENT_MAX_OFFSET}`, 'offset');
    out.offset = Number(offset);
  }
  const patient = query.get('patient');
  if (patient !== null) {
    if (!ID_PATTERN.test(patient))
      throw badRequest('"patient" is not a FHIR id (letters, digits, - and ., at most 64)', 'patient');
    out.patient = patient;
  }
  return out;
}

export async function recentRuns(
  imaging: FhirReader,
  request: RecentRequest,
  policy: AccessPolicy,
): Promise<RecentPage> {
  const params: [string, string][] = [
    ['code', `${STROKE_SYSTEM}|${RUN_CODE}`],
    ['_sort', '-date'],
    ['_count', String(request.limit)],
    ['_offset', String(request.offset)],
    ['_total', 'accurate'],
    ['_include', 'List:item'],
    ['_include', 'List:subject'],
  ];
  const subjects = request.subjects ?? (request.patient ? [request.patient] : []);
  if (subjects.length) params.push(['subject', subjects.map((p) => `Patient/${p}`).join(',')]);
  const bundle = await imaging.search('List', params);
  const found = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is FhirResource => !!r && policy.canSee(r));
  const lists = found.filter((r) => r.resourceType === 'List') as unknown as List[];
  const byRef = new Map(found.map((r) => [`${r.resourceType}/${r.id}`, r]));
  const uids = lists.map(studyUidOf).filter((u) => u !== undefined);
  const studies = await studiesByUid(imaging, uids, policy);
  const runs = lists.flatMap((list) => {
    const uid = studyUidOf(list);
    if (!uid) return [];
    const present: FactorId[] = [];
    const unknown: FactorId[] = [];
    for (const entry of list.entry ?? []) {
      const issue = byRef.get(entry.item?.reference ?? '') as unknown as DetectedIssue | undefined;
      const factor = issue?.code?.coding?.find((c) => c.system === STROKE_SYSTEM)?.code as FactorId | undefined;
      const status = issue?.evidence?.[0]?.code?.[0]?.coding?.[0]?.code;
      if (!factor || !FACTOR_IDS.includes(factor)) continue;
      if (status === 'present') present.push(factor);
      else if (status === 'unknown') unknown.push(factor);
    }
    const order = (a: FactorId, b: FactorId) => FACTOR_IDS.indexOf(a) - FACTOR_IDS.indexOf(b);
    const patient = byRef.get(list.subject?.reference ?? '') as unknown as Patient | undefined;
    return [
      {
        studyInstanceUid: uid,
        study: studies.get(uid) ?? null,
        patient: patient ? patientOf(patient) : null,
        ...(list.date ? { assessedAt: list.date } : {}),
        ...readRunNote(list),
        present: present.sort(order),
        unknown: unknown.sort(order),
      },
    ];
  });
  return { runs, total: bundle.total ?? request.offset + runs.length };
}

const studyUidOf = (list: List): string | undefined =>
  list.identifier?.find((i) => i.system === DICOM_UID)?.value?.replace(/^urn:oid:/, '');

/** The studies of the runs, in one search (identifier values OR-ed). */
async function studiesByUid(
  imaging: FhirReader,
  uids: string[],
  policy: AccessPolicy,
): Promise<Map<string, NonNullable<RecentRun['study']>>> {
  const out = new Map<string, NonNullable<RecentRun['study']>>();
  if (!uids.length || !policy.canSearch('ImagingStudy')) return out;
  const bundle = await imaging.search('ImagingStudy', [
    ['identifier', uids.map((u) => `${DICOM_UID}|urn:oid:${u}`).join(',')],
    ['_count', String(uids.length * 2)],
  ]);
  for (const e of bundle.entry ?? []) {
    const s = e.resource as unknown as ImagingStudy | undefined;
    if (s?.resourceType !== 'ImagingStudy' || !policy.canSee(s as unknown as FhirResource)) continue;
    const uid = s.identifier?.find((i) => i.system === DICOM_UID)?.value?.replace(/^urn:oid:/, '');
    if (!uid) continue;
    const modality = [...new Set((s.modality ?? []).map((m) => m.code).filter((c) => c !== undefined))];
    out.set(uid, {
      id: s.id!,
      ...(s.started ? { started: s.started } : {}),
      ...(s.description ? { description: s.description } : {}),
      ...(modality.length ? { modality } : {}),
    });
  }
  return out;
}

function patientOf(p: Patient): NonNullable<RecentRun['patient']> {
  const n = p.name?.find((x) => x.use === 'official') ?? p.name?.[0];
  const name = n?.text ?? [...(n?.given ?? []), n?.family].filter(Boolean).join(' ');
  return {
    id: p.id!,
    ...(name ? { name } : {}),
    identifier: (p.identifier ?? []).map((i) => ({
      ...(i.system ? { system: i.system } : {}),
      ...(i.value ? { value: i.value } : {}),
    })),
  };
}
