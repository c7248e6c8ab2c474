/** Small readers of the FHIR resources the worklist rules look at (pure, tolerant of missing data). */
import type { CodeableConcept, Coding, Flag, ImagingStudy, Reference } from '@medplum/fhirtypes';
import type { Matcher } from './config.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** Epoch ms of a FHIR date/dateTime/instant (a date alone is its UTC midnight). */
export function time(v: string | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v.length === 4 ? `${v}-01-01` : v.length === 7 ? `${v}-01` : v);
  return Number.isNaN(ms) ? undefined : ms;
}

export const codings = (c: CodeableConcept | undefined): Coding[] => c?.coding ?? [];

/** Every text of a concept: its text and its codings' displays. */
export const texts = (c: CodeableConcept | undefined): string[] =>
  [c?.text, ...codings(c).map((x) => x.display)].filter((t): t is string => !!t);

export const ref = (r: { resourceType: string; id?: string }): string => `${r.resourceType}/${r.id ?? ''}`;

export const refersTo = (r: Reference | undefined, target: string): boolean =>
  !!r?.reference && (r.reference === target || r.reference.endsWith(`/${target}`));

/** Does a concept carry one of these `system|code` pairs, or a text one of these patterns finds? */
export function matches(c: CodeableConcept | undefined, m: Matcher): boolean {
  if (codings(c).some((x) => x.system && x.code && m.codes.includes(`${x.system}|${x.code}`))) return true;
  return matchesText(texts(c), m.patterns);
}

export const matchesText = (list: string[], patterns: string[]): boolean =>
  patterns.some((p) => {
    const re = new RegExp(p, 'i');
    return list.some((t) => re.test(t));
  });

/** An active Flag at `now` (entered-in-error and inactive ones are ignored, so is one whose period ended). */
export function activeFlag(f: Flag, now: number): boolean {
  if (f.status !== 'active') return false;
  const end = time(f.period?.end);
  const start = time(f.period?.start);
  return (end === undefined || end >= now) && (start === undefined || start <= now);
}

/** When the study started (else when it arrived). */
export const studyStart = (s: ImagingStudy): number | undefined => time(s.started);

/** Body parts of a study: SNOMED codes and texts of its series' bodySite, lower-cased. */
export function bodyParts(s: ImagingStudy): Set<string> {
  const out = new Set<string>();
  for (const series of s.series ?? []) {
    const b = series.bodySite;
    if (!b) continue;
    if (b.code) out.add(`${b.system ?? ''}|${b.code}`);
    else if (b.display) out.add(b.display.toLowerCase());
  }
  return out;
}

/** Points rounded to a tenth: the score is their sum, and the sum is what the user checks. */
export const tenth = (n: number): number => Math.round(n * 10) / 10;
