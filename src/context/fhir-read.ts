/**
 * Readers of FHIR R4 elements shared by the section builders (pure, tolerant of missing data).
 * The builders take typed resources (@medplum/fhirtypes), but a section may come from an
 * external EHR whose answers are not validated: these readers still check each element's shape
 * at run time, so a malformed element is left out of the summary rather than crashing the
 * context or passing a wrong type on to the clinical rules.
 */
import type { CodeableConcept, Coding, Reference, Resource } from '@medplum/fhirtypes';
import type { FhirResource, ResourceOf } from '../fhir/types.js';
import type { CodingOut, Concept } from './summaries.js';

export type { CodingOut, Concept } from './summaries.js';

/** A resource of a section as its R4 type (the query asked for that type; its content is still read defensively). */
export type Typed<T extends Resource> = T & FhirResource;

/** A resource as the type its query asked for; nothing is checked here (see the readers below). */
export const typed = <T extends Resource>(resource: FhirResource): Typed<T> => resource as Typed<T>;
/** A section's resources as the type their query asked for. */
export const allTyped = <T extends Resource>(resources: FhirResource[]): Typed<T>[] => resources as Typed<T>[];

/** The included resources of one type (checked by resourceType). */
export const ofType = <K extends string>(resources: FhirResource[], type: K): ResourceOf<K>[] =>
  resources.filter((r): r is ResourceOf<K> => r.resourceType === type);

/** A 0..* element as an array: a single value (a malformed answer) becomes a one-item list, absence an empty one. */
export const asArray = <T>(v: readonly T[] | undefined): T[] => {
  const value: unknown = v;
  return Array.isArray(value) ? (value as T[]) : value === undefined || value === null ? [] : [value as T];
};
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isObject = (v: unknown): v is object => !!v && typeof v === 'object';

export function coding(v: Coding | undefined): CodingOut | undefined {
  if (!isObject(v)) return undefined;
  const out: CodingOut = {};
  const system = str(v.system);
  const code = str(v.code);
  const display = str(v.display);
  if (system) out.system = system;
  if (code) out.code = code;
  if (display) out.display = display;
  return Object.keys(out).length ? out : undefined;
}

/** A CodeableConcept as codings + text (text falls back to the first display). */
export function concept(v: CodeableConcept | undefined): Concept | undefined {
  if (!isObject(v)) return undefined;
  const codings = asArray(v.coding)
    .map(coding)
    .filter((x): x is CodingOut => !!x);
  const text = str(v.text) ?? codings.find((x) => x.display)?.display;
  if (!codings.length && !text) return undefined;
  return { coding: codings, ...(text ? { text } : {}) };
}

/** The code of the first coding of a CodeableConcept, e.g. a status. */
export const firstCode = (v: CodeableConcept | undefined): string | undefined => concept(v)?.coding[0]?.code;

/** `system|code` of the coding preferred as a grouping key (the given system first). */
export function conceptKey(c: Concept | undefined, prefer?: string): string | undefined {
  if (!c) return undefined;
  const pick = c.coding.find((x) => x.system === prefer && x.code) ?? c.coding.find((x) => x.code);
  return pick ? `${pick.system ?? ''}|${pick.code}` : c.text ? `text|${c.text.toLowerCase()}` : undefined;
}

/** Epoch ms of a FHIR date/dateTime/instant (a date alone is its UTC midnight). */
export function time(v: string | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v.length === 4 ? `${v}-01-01` : v.length === 7 ? `${v}-01` : v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The id of a relative reference of the given type (`Patient/123` → `123`). */
const REF_PATTERNS = new Map<string, RegExp>();
export function refId(ref: Reference | undefined, type: string): string | undefined {
  const r = isObject(ref) ? str(ref.reference) : undefined;
  if (!r) return undefined;
  let pattern = REF_PATTERNS.get(type);
  if (!pattern) REF_PATTERNS.set(type, (pattern = new RegExp(`(?:^|/)${type}/([^/]+)(?:/_history/[^/]+)?$`)));
  return pattern.exec(r)?.[1];
}

export const key = (r: FhirResource): string => `${r.resourceType}/${r.id}`;

/** Newest first by the given time; undefined times last; ties by id for stable output. */
export function newestFirst<T>(items: T[], at: (t: T) => number | undefined, id: (t: T) => string): T[] {
  return [...items].sort((a, b) => (at(b) ?? -Infinity) - (at(a) ?? -Infinity) || id(a).localeCompare(id(b)));
}
