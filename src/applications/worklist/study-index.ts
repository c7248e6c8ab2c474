/**
 * The worklist's studies in memory with the lookups a write needs: by Study Instance UID, by
 * patient, and by order (its accession number, with and without issuer, and the ServiceRequest
 * it was found as) — a new or changed ServiceRequest finds its studies without a scan of them all.
 */
import type { DiagnosticReport, ImagingStudy } from '@medplum/fhirtypes';
import { type BaseScore, refersTo } from '../../clinical/worklist/index.js';
import type { DicomStudyFacts } from './ports.js';
import { accessionOf, type FoundOrder } from './source.js';

export interface Entry {
  id: string;
  uid: string;
  study: ImagingStudy;
  patientId?: string;
  order?: FoundOrder;
  dicom?: DicomStudyFacts;
  base: BaseScore;
  since?: number;
  read: boolean;
}

/** The keys a ServiceRequest is looked up by: its identifiers (`value`, `system|value`) and itself. */
export interface OrderKeys {
  id: string;
  identifiers: string[];
  external?: boolean;
}

const requestKey = (id: string, external: boolean | undefined) =>
  `${external ? 'record' : 'ours'} ServiceRequest/${id}`;

function orderKeysOf(e: Entry): string[] {
  const acc = accessionOf(e.study);
  const keys = acc?.value ? [`id ${acc.value}`, `id ${acc.system ?? ''}|${acc.value}`] : [];
  if (e.order) keys.push(requestKey(e.order.request.id!, e.order.external));
  return keys;
}

/**
 * The studies under an order key: the one id itself (an accession number names one study, as a
 * rule), a Set only from the second. A Set per key cost ≈ 150 bytes per study on the list (issue 21).
 */
type Ids = string | Set<string>;

function addId(map: Map<string, Ids>, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) map.set(key, id);
  else if (typeof ids !== 'string') ids.add(id);
  else if (ids !== id) map.set(key, new Set([ids, id]));
}

function deleteId(map: Map<string, Ids>, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) return;
  if (typeof ids === 'string') {
    if (ids === id) map.delete(key);
    return;
  }
  ids.delete(id);
  if (ids.size === 1) map.set(key, ids.values().next().value as string);
  else if (!ids.size) map.delete(key);
}

function idsAt(map: Map<string, Ids>, key: string): Iterable<string> {
  const ids = map.get(key);
  return ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids;
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (set) set.add(id);
  else map.set(key, new Set([id]));
}

function deleteFrom(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (!set.size) map.delete(key);
}

const NONE: ReadonlySet<string> = new Set();
const FINAL = new Set(['final', 'amended', 'corrected', 'appended']);
const AI_TAG = 'urn:imaging-bridge:tag|ai-result';
const isAi = (r: DiagnosticReport) => !!r.meta?.tag?.some((t) => `${t.system}|${t.code}` === AI_TAG);

/** Read: a final report (not an AI result) names the study, or the order it fulfils (a RIS report on the accession). */
export function readByReport(e: Entry, reports: readonly DiagnosticReport[]): boolean {
  const order = e.order ? `ServiceRequest/${e.order.request.id}` : undefined;
  return reports.some(
    (r) =>
      FINAL.has(r.status) &&
      !isAi(r) &&
      ((r.imagingStudy ?? []).some((x) => refersTo(x, `ImagingStudy/${e.id}`)) ||
        (!!order && (r.basedOn ?? []).some((x) => refersTo(x, order)))),
  );
}

export class StudyIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly byUid = new Map<string, string>();
  private readonly byPatient = new Map<string, Set<string>>();
  private readonly byOrder = new Map<string, Ids>();

  get size(): number {
    return this.entries.size;
  }

  get(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  values(): IterableIterator<Entry> {
    return this.entries.values();
  }

  withUid(uid: string): Entry | undefined {
    const id = this.byUid.get(uid);
    return id === undefined ? undefined : this.entries.get(id);
  }

  /** Ids of the patient's studies on the list. */
  ofPatient(patientId: string | undefined): ReadonlySet<string> {
    return (patientId !== undefined && this.byPatient.get(patientId)) || NONE;
  }

  hasPatient(patientId: string): boolean {
    return this.byPatient.has(patientId);
  }

  /** Adds the entry, or replaces the one with its id (keys of the old one dropped). */
  put(entry: Entry): void {
    this.delete(entry.id);
    this.entries.set(entry.id, entry);
    this.byUid.set(entry.uid, entry.id);
    if (entry.patientId !== undefined) addTo(this.byPatient, entry.patientId, entry.id);
    for (const k of orderKeysOf(entry)) addId(this.byOrder, k, entry.id);
  }

  delete(id: string): Entry | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    this.entries.delete(id);
    if (this.byUid.get(e.uid) === id) this.byUid.delete(e.uid);
    if (e.patientId !== undefined) deleteFrom(this.byPatient, e.patientId, id);
    for (const k of orderKeysOf(e)) deleteId(this.byOrder, k, id);
    return e;
  }

  /** Studies whose order this is: the same request (on the same server), or one of its identifiers as accession. */
  studiesOfOrder(request: OrderKeys): string[] {
    const out = new Set(idsAt(this.byOrder, requestKey(request.id, request.external)));
    for (const i of request.identifiers) for (const id of idsAt(this.byOrder, `id ${i}`)) out.add(id);
    return [...out];
  }
}
