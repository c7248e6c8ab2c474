/**
 * DICOM PN (Family^Given^Middle^Prefix^Suffix, in up to three component groups) → FHIR
 * HumanName entries and display text. Ideographic and phonetic groups become extra names
 * marked with the R4 iso21090-EN-representation extension (IDE / SYL).
 */
import type { HumanName } from './fhir-types.js';
import type { PersonNameGroups } from './dicom-read.js';
import { NAME_REPRESENTATION_URL } from './systems.js';

interface Components {
  family?: string;
  given: string[];
  prefix?: string;
  suffix?: string;
}

function components(group: string): Components {
  const [family, given, middle, prefix, suffix] = group.split('^').map((c) => c.trim());
  return {
    family: family || undefined,
    given: [given, ...(middle ? middle.split(/\s+/) : [])].filter((g): g is string => !!g),
    prefix: prefix || undefined,
    suffix: suffix || undefined,
  };
}

function humanName(group: string, representation?: 'IDE' | 'SYL'): HumanName | undefined {
  const c = components(group);
  if (!c.family && !c.given.length && !c.prefix && !c.suffix) return undefined;
  const name: HumanName = {};
  if (representation) name.extension = [{ url: NAME_REPRESENTATION_URL, valueCode: representation }];
  name.use = 'official';
  if (c.family) name.family = c.family;
  if (c.given.length) name.given = c.given;
  if (c.prefix) name.prefix = [c.prefix];
  if (c.suffix) name.suffix = [c.suffix];
  return name;
}

/** The names of one PN value: alphabetic first, then ideographic, then phonetic. */
export function humanNames(pn: PersonNameGroups): HumanName[] {
  return [
    pn.Alphabetic ? humanName(pn.Alphabetic) : undefined,
    pn.Ideographic ? humanName(pn.Ideographic, 'IDE') : undefined,
    pn.Phonetic ? humanName(pn.Phonetic, 'SYL') : undefined,
  ].filter((n): n is HumanName => n !== undefined);
}

/**
 * Text for a Reference.display: `Prefix Given Middle Family Suffix` from the alphabetic group;
 * an ideographic-only name keeps its family-first order (`山田 太郎`).
 */
export function displayName(pn: PersonNameGroups): string | undefined {
  if (pn.Alphabetic) {
    const c = components(pn.Alphabetic);
    const text = [c.prefix, ...c.given, c.family, c.suffix].filter(Boolean).join(' ');
    if (text) return text;
  }
  const other = pn.Ideographic ?? pn.Phonetic;
  if (!other) return undefined;
  const c = components(other);
  return [c.family, ...c.given].filter(Boolean).join(' ') || undefined;
}
