/**
 * The patients' contexts the worklist scored with, by our patient id, and the lookups a change
 * needs: whose context held a deleted resource, who is at a Location, who is linked to a record
 * server patient or shares one of its identifiers, whose record could not be read.
 */
import { compactPatient, type StringTable } from './compact.js';
import type { PatientContext } from './source.js';

const HELD = new Map<string, (c: PatientContext) => { id?: string }[]>([
  ['Encounter', (c) => c.encounters],
  ['Flag', (c) => c.flags],
  ['Observation', (c) => c.observations],
  ['DiagnosticReport', (c) => c.reports],
]);

export class PatientContexts extends Map<string, PatientContext> {
  /** `strings`: the patients are kept compact (compact.ts), their repeated strings shared through it. */
  constructor(private readonly strings?: StringTable) {
    super();
  }

  override set(patientId: string, context: PatientContext): this {
    const { patient } = context;
    return super.set(
      patientId,
      this.strings && patient ? { ...context, patient: compactPatient(patient, this.strings) } : context,
    );
  }

  /** The patient whose context holds `Type/id` (a deleted resource names no patient any more). */
  holding(ref: string): string | undefined {
    const [type = '', id] = ref.split('/');
    const list = HELD.get(type);
    if (!list) return undefined;
    for (const [p, c] of this) if (list(c).some((r) => r.id === id)) return p;
    return undefined;
  }

  /** Patients whose current encounters are at `Location/id`. */
  at(locationRef: string): string[] {
    return this.matching((c) => c.locations.has(locationRef));
  }

  /** Our patients linked to the record server's patient `id`. */
  linkedTo(id: string): string[] {
    return this.matching((c) => c.recordPatientId === id);
  }

  /** Our patients with one of these identifiers (`system|value`). */
  sharingIdentifier(tokens: string[]): string[] {
    return this.matching((c) =>
      (c.patient?.identifier ?? []).some((i) => tokens.includes(`${i.system ?? ''}|${i.value ?? ''}`)),
    );
  }

  /** Patients whose record server part could not be read (read again at each poll). */
  failed(): string[] {
    return this.matching((c) => !!c.recordFailed);
  }

  private matching(test: (c: PatientContext) => boolean): string[] {
    const out: string[] = [];
    for (const [p, c] of this) if (test(c)) out.push(p);
    return out;
  }
}
