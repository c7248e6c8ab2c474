/**
 * Many patients' contexts read from our own server together, for the worklist's start-up load:
 * one search per kind for a group of patients (`patient=Patient/a,Patient/b,…`, OR), one search
 * at a time, instead of six searches per patient with several patients in flight. The answer is
 * the same as WorklistSource.patientContext gives patient by patient (batched-contexts.test.ts).
 */
import type { DiagnosticReport, Encounter, Flag, Location, Observation, Patient } from '@medplum/fhirtypes';
import type { FhirClient } from '../../fhir/client/index.js';
import type { PatientContext } from './patient-context.js';

type Reader = Pick<FhirClient, 'searchAll'>;

export interface BatchQueries {
  encounterStatuses: string[];
  /** `system|code` tokens of the triage (ESI) code and the imaging category. */
  esi: string;
  imaging: string;
  /** Most resources of one kind kept per patient (as the per-patient searches' limit). */
  perPatient: number;
  /** A Location by `Location/id` (cached by the caller), undefined when missing. */
  location(key: string): Promise<Location | undefined>;
}

/** The patient id a subject reference names (relative, absolute or versioned), if any. */
export function subjectPatientId(reference: string | undefined): string | undefined {
  return /(?:^|\/)Patient\/([^/]+)(?:\/_history\/[^/]+)?$/.exec(reference ?? '')?.[1];
}

/** Resources by the patient their subject names, only for `ids`, at most `max` each, in the order found. */
export function bySubject<R extends { subject?: { reference?: string } }>(
  resources: R[],
  ids: ReadonlySet<string>,
  max: number,
): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of resources) {
    const id = subjectPatientId(r.subject?.reference);
    if (id === undefined || !ids.has(id)) continue;
    const list = out.get(id) ?? [];
    if (list.length < max) list.push(r);
    out.set(id, list);
  }
  return out;
}

/** The contexts of `patientIds` (our server as the record server), by patient id. */
export async function readContexts(
  fhir: Reader,
  patientIds: string[],
  q: BatchQueries,
): Promise<Map<string, PatientContext>> {
  const ids = new Set(patientIds);
  if (ids.size === 0) return new Map();
  const patient = [...ids].map((id) => `Patient/${id}`).join(',');
  const all = { maxResources: q.perPatient * ids.size, maxPages: 10_000 };
  // Every match, counted by nothing: the pages are followed until one comes back short.
  const page = { _count: 500, _total: 'none' };
  // One after the other: the load holds one connection of the store at a time, never a queue of them.
  const patients = (await fhir.searchAll('Patient', { _id: [...ids].join(','), ...page }, all)) as Patient[];
  const encounters = (await fhir.searchAll(
    'Encounter',
    { patient, status: q.encounterStatuses.join(','), ...page },
    all,
  )) as Encounter[];
  const flags = (await fhir.searchAll('Flag', { patient, ...page }, all)) as Flag[];
  const esi = (await fhir.searchAll('Observation', { patient, code: q.esi, ...page }, all)) as Observation[];
  const reports = (await fhir.searchAll('DiagnosticReport', { patient, ...page }, all)) as DiagnosticReport[];
  const imaging = (await fhir.searchAll(
    'Observation',
    { patient, category: q.imaging, ...page },
    all,
  )) as Observation[];
  const who = new Map(patients.filter((p) => p.id !== undefined && ids.has(p.id)).map((p) => [p.id!, p]));
  const split = {
    encounters: bySubject(encounters, ids, q.perPatient),
    flags: bySubject(flags, ids, q.perPatient),
    esi: bySubject(esi, ids, q.perPatient),
    reports: bySubject(reports, ids, q.perPatient),
    imaging: bySubject(imaging, ids, q.perPatient),
  };
  const out = new Map<string, PatientContext>();
  for (const id of ids) {
    const ofPatient = split.encounters.get(id) ?? [];
    const locations = new Map<string, Location>();
    for (const e of ofPatient)
      for (const l of e.location ?? []) {
        const key = /(Location\/[^/]+)$/.exec(l.location?.reference ?? '')?.[1];
        if (!key || locations.has(key)) continue;
        const location = await q.location(key);
        if (location) locations.set(key, location);
      }
    const p = who.get(id);
    out.set(id, {
      ...(p ? { patient: p } : {}),
      encounters: ofPatient,
      locations,
      flags: split.flags.get(id) ?? [],
      observations: [...(split.esi.get(id) ?? []), ...(split.imaging.get(id) ?? []).filter((o) => !!o.device)],
      reports: split.reports.get(id) ?? [],
    });
  }
  return out;
}
