/** Small readers of FHIR R4 JSON shared by the section builders (pure, tolerant of missing data). */
import type { FhirResource } from '../fhir/types.js';

export type Json = Record<string, unknown>;
export interface CodingOut {
  system?: string;
  code?: string;
  display?: string;
}
export interface Concept {
  coding: CodingOut[];
  text?: string;
}

export const asArray = <T = Json>(v: unknown): T[] =>
  Array.isArray(v) ? (v as T[]) : v === undefined || v === null ? [] : [v as T];
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function coding(v: unknown): CodingOut | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const c = v as Json;
  const out: CodingOut = {};
  if (str(c.system)) out.system = c.system as string;
  if (str(c.code)) out.code = c.code as string;
  if (str(c.display)) out.display = c.display as string;
  return Object.keys(out).length ? out : undefined;
}

/** A CodeableConcept as codings + text (text falls back to the first display). */
export function concept(v: unknown): Concept | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const c = v as Json;
  const codings = asArray(c.coding)
    .map(coding)
    .filter((x): x is CodingOut => !!x);
  const text = str(c.text) ?? codings.find((x) => x.display)?.display;
  if (!codings.length && !text) return undefined;
  return { coding: codings, ...(text ? { text } : {}) };
}

/** The code of the first coding of a CodeableConcept, e.g. a status. */
export const firstCode = (v: unknown): string | undefined => concept(v)?.coding[0]?.code;

/** `system|code` of the coding preferred as a grouping key (the given system first). */
export function conceptKey(c: Concept | undefined, prefer?: string): string | undefined {
  if (!c) return undefined;
  const pick = c.coding.find((x) => x.system === prefer && x.code) ?? c.coding.find((x) => x.code);
  return pick ? `${pick.system ?? ''}|${pick.code}` : c.text ? `text|${c.text.toLowerCase()}` : undefined;
}

/** Epoch ms of a FHIR date/dateTime/instant (a date alone is its UTC midnight). */
export function time(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v.length === 4 ? `${v}-01-01` : v.length === 7 ? `${v}-01` : v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The id of a relative reference of the given type (`Patient/123` → `123`). */
const REF_PATTERNS = new Map<string, RegExp>();
export function refId(ref: unknown, type: string): string | undefined {
  const r = ref && typeof ref === 'object' ? str((ref as Json).reference) : undefined;
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
