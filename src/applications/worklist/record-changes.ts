/**
 * Which of our patients and studies a batch of changes on the external record server concerns:
 * the patients linked to the record's Patient of an Encounter, Flag, triage Observation or
 * DiagnosticReport; a record Patient (linked to ours, or sharing an identifier with an unlinked
 * one); the studies of a ServiceRequest (by accession, or the order already found there); the
 * patients at a Location. Ids on the record server are its own: they are mapped here, never mixed.
 */
import type { Reference } from '@medplum/fhirtypes';
import type { FhirResource } from '../../fhir/types.js';

export interface RecordLookups {
  /** Our patients linked to this record Patient id. */
  linkedTo(recordPatientId: string): string[];
  /** Our patients not linked yet (or linked elsewhere) sharing one of these `system|value` identifiers. */
  sharingIdentifier(tokens: string[]): string[];
  studiesOfOrder(request: { id: string; identifiers: string[]; external: true }): string[];
  patientsAt(locationRef: string): string[];
  forgetLocation(id: string): void;
}

const patientIdOf = (r: Reference | undefined) => /(?:^|\/)Patient\/([^/]+)$/.exec(r?.reference ?? '')?.[1];
const tokens = (r: FhirResource): string[] =>
  ((r.identifier ?? []) as { system?: string; value?: string }[]).flatMap((i) =>
    i.value ? [i.value, `${i.system ?? ''}|${i.value}`] : [],
  );

export function affectedByRecord(changes: FhirResource[], l: RecordLookups): { patients: string[]; orders: string[] } {
  const patients = new Set<string>();
  const orders = new Set<string>();
  for (const r of changes) {
    if (!r.id) continue;
    if (r.resourceType === 'Patient') {
      for (const p of l.linkedTo(r.id)) patients.add(p);
      for (const p of l.sharingIdentifier(tokens(r).filter((t) => t.includes('|')))) patients.add(p);
    } else if (r.resourceType === 'ServiceRequest') {
      for (const s of l.studiesOfOrder({ id: r.id, identifiers: tokens(r), external: true })) orders.add(s);
    } else if (r.resourceType === 'Location') {
      l.forgetLocation(r.id);
      for (const p of l.patientsAt(`Location/${r.id}`)) patients.add(p);
    } else {
      const subject = patientIdOf((r.subject ?? r.patient) as Reference | undefined);
      if (subject) for (const p of l.linkedTo(subject)) patients.add(p);
    }
  }
  return { patients: [...patients], orders: [...orders] };
}
