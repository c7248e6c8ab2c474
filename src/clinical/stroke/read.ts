/** Small readers of the FHIR resources the rules look at (pure, tolerant of missing data). */
import type { CodeableConcept, Coding, Period, Reference } from '@medplum/fhirtypes';
import type { Evidence, Failure } from './types.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
const ICD10 = new Set(['http://hl7.org/fhir/sid/icd-10-cm', 'http://hl7.org/fhir/sid/icd-10']);

/** Epoch ms of a FHIR date/dateTime/instant (a date alone is its UTC midnight). */
export function time(v: string | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v.length === 4 ? `${v}-01-01` : v.length === 7 ? `${v}-01` : v);
  return Number.isNaN(ms) ? undefined : ms;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A dateTime or a period: its end if ended (the most recent moment), else its start. */
export const when = (dateTime?: string, period?: Period, instant?: string): string | undefined =>
  dateTime ?? instant ?? period?.end ?? period?.start;

export const codings = (c: CodeableConcept | undefined): Coding[] => c?.coding ?? [];

export const hasCode = (c: CodeableConcept | undefined, system: string, codes: ReadonlySet<string>): boolean =>
  codings(c).some((x) => x.system === system && !!x.code && codes.has(x.code));

/** The ICD-10 (or ICD-10-CM) codes of a concept, upper case without the dot (`I61.9` → `I619`). */
export const icd10Codes = (c: CodeableConcept | undefined): string[] =>
  codings(c)
    .filter((x) => x.system && ICD10.has(x.system) && x.code)
    .map((x) => x.code!.toUpperCase().replace('.', ''));

export const conceptText = (c: CodeableConcept | undefined): string | undefined =>
  c?.text ?? codings(c).find((x) => x.display)?.display;

/** The code of a status CodeableConcept (Condition.clinicalStatus, verificationStatus). */
export const statusCode = (c: CodeableConcept | undefined): string | undefined => codings(c)[0]?.code;

export const ref = (r: { resourceType: string; id?: string }): string => `${r.resourceType}/${r.id ?? ''}`;

export const refersTo = (r: Reference | undefined, target: string): boolean =>
  !!r?.reference && (r.reference === target || r.reference.endsWith(`/${target}`));

/** A window check on epoch ms, both ends included. */
export const within = (t: number, from: number, to: number): boolean => t >= from && t <= to;

export function evidence(
  resource: { resourceType: string; id?: string; status?: string },
  e: Omit<Evidence, 'reference'>,
): Evidence {
  const out: Evidence = { reference: ref(resource), ...e };
  if (resource.status && out.status === undefined) out.status = resource.status;
  return out;
}

/** The reason given for a factor whose section could not be read. */
export function failed(failures: Failure[] | undefined, ...sections: string[]): string {
  const f = (failures ?? []).filter((x) => sections.includes(x.section));
  const what = f.length ? f.map((x) => `${x.section}: ${x.error}`).join('; ') : sections.join(', ');
  return `the record's ${sections.join(' / ')} could not be read (${what})`;
}

/** Days or hours between two times, for reasons ("3 d", "20 h"). */
export function ago(from: number, to: number): string {
  const h = Math.round((to - from) / HOUR);
  return Math.abs(h) >= 48 ? `${Math.round(h / 24)} d` : `${h} h`;
}
