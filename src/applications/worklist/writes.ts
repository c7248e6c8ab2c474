/**
 * Which studies and patients a batch of FHIR writes concerns: an ImagingStudy itself; the studies
 * of a ServiceRequest (by id or accession); the patient of an Encounter, Flag, triage or AI-result
 * Observation, or DiagnosticReport (on delete: the patient whose context held it); the patients
 * at a Location. Everything else (labs, medications…) does not move the worklist.
 */
import type { Observation, Reference } from '@medplum/fhirtypes';
import { isEsi } from '../../clinical/worklist/index.js';
import type { WriteEvent } from '../../fhir/repository/observed-repository.js';

export interface WriteLookups {
  patientOfResource(ref: string): string | undefined;
  studiesOfOrder(request: { id: string; identifiers: string[] }): string[];
  patientsAt(locationRef: string): string[];
  forgetLocation(id: string): void;
  knownPatient(id: string): boolean;
}

const PATIENT_TYPES = new Set(['Encounter', 'Flag', 'Observation', 'DiagnosticReport', 'Patient']);
const patientId = (r: Reference | undefined) => /(?:^|\/)Patient\/([^/]+)$/.exec(r?.reference ?? '')?.[1];

/** Observations that can move the worklist: triage acuity, or results about an imaging study. */
function relevantObservation(o: Observation): boolean {
  return (
    isEsi(o) || [...(o.partOf ?? []), ...(o.derivedFrom ?? [])].some((x) => x.reference?.includes('ImagingStudy/'))
  );
}

export function affected(
  events: WriteEvent[],
  l: WriteLookups,
): { studies: string[]; patients: string[]; orders: string[] } {
  const studies = new Set<string>();
  const patients = new Set<string>();
  const orders = new Set<string>();
  for (const e of events) {
    const r = e.resource as Record<string, unknown> | undefined;
    if (e.resourceType === 'ImagingStudy') studies.add(e.id);
    else if (e.resourceType === 'ServiceRequest') {
      const identifiers = ((r?.identifier ?? []) as { system?: string; value?: string }[]).flatMap((i) =>
        i.value ? [i.value, `${i.system ?? ''}|${i.value}`] : [],
      );
      for (const s of l.studiesOfOrder({ id: e.id, identifiers })) orders.add(s);
    } else if (e.resourceType === 'Location') {
      l.forgetLocation(e.id);
      for (const p of l.patientsAt(`Location/${e.id}`)) patients.add(p);
    } else if (PATIENT_TYPES.has(e.resourceType)) {
      if (e.resourceType === 'Patient') {
        if (l.knownPatient(e.id)) patients.add(e.id);
        continue;
      }
      if (!r) {
        const p = l.patientOfResource(`${e.resourceType}/${e.id}`);
        if (p) patients.add(p);
        continue;
      }
      if (e.resourceType === 'Observation' && !relevantObservation(r as unknown as Observation)) continue;
      const p = patientId((r.subject ?? r.patient) as Reference | undefined);
      if (p && l.knownPatient(p)) patients.add(p);
    }
  }
  return { studies: [...studies], patients: [...patients], orders: [...orders] };
}
