/** What the worklist scores a patient's studies with: the patient and their clinical context. */
import type { DiagnosticReport, Encounter, Flag, Location, Observation, Patient } from '@medplum/fhirtypes';

export interface PatientContext {
  patient?: Patient;
  /** The patient's id on the external record server, when one Patient there shares an identifier. */
  recordPatientId?: string;
  /** `Type/id` of what was read from the external record server (its evidence is shown as absolute URLs). */
  external?: Set<string>;
  /** The external record server failed: its signals are missing until it answers again (retried each poll). */
  recordFailed?: boolean;
  encounters: Encounter[];
  locations: Map<string, Location>;
  flags: Flag[];
  observations: Observation[];
  reports: DiagnosticReport[];
}
