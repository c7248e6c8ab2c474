/**
 * Rule `body-part`: BodyPartExamined (0018,0015) as free text (`Chest/Abd`, `THORAX`,
 * `Brain W/O`) becomes the Annex L defined term when the text is recognisable: contrast
 * qualifiers are dropped, then the letters are looked up as a term, a profile synonym, a
 * built-in synonym, or a plural. Unrecognised text is kept (the mapping shows it as display
 * without a code) and reported.
 */
import annexL from '../mapping/data/annex-l-body-parts.json' with { type: 'json' };
import { TAG } from '../mapping/dicom-read.js';
import synonyms from './data/body-part-synonyms.json' with { type: 'json' };
import { finding, mapValues, withAttribute } from './edit.js';
import type { Finding, InstanceRule } from './types.js';
import { own } from '../../core/own.js';

const RULE = 'body-part';
const TERMS: Record<string, unknown> = annexL.terms;
const BUILT_IN: Record<string, string> = synonyms.synonyms;
const CONTRAST_WORDS = new Set([
  'W/O',
  'WO',
  'W/',
  'W',
  'WITH',
  'WITHOUT',
  'CONTRAST',
  'C+',
  'C-',
  '+C',
  '-C',
  'KM',
  'NATIVE',
  'IV',
]);

/** Upper case, contrast qualifiers cut off, then letters and digits only: `Brain W/O` → `BRAIN`. */
export function bodyPartKey(text: string): string {
  const words = text.toUpperCase().split(/\s+/).filter(Boolean);
  const cut = words.findIndex((w, i) => i > 0 && CONTRAST_WORDS.has(w));
  return (cut > 0 ? words.slice(0, cut) : words).join('').replace(/[^A-Z0-9]/g, '');
}

/** The Annex L term a text stands for, or undefined. */
export function resolveBodyPart(text: string, profileSynonyms: Record<string, string> = {}): string | undefined {
  if (Object.hasOwn(TERMS, text)) return text;
  const key = bodyPartKey(text);
  const profile = Object.fromEntries(Object.entries(profileSynonyms).map(([k, v]) => [bodyPartKey(k), v]));
  for (const candidate of [key, key.endsWith('S') ? key.slice(0, -1) : '']) {
    if (!candidate) continue;
    const term = Object.hasOwn(TERMS, candidate) ? candidate : (own(profile, candidate) ?? own(BUILT_IN, candidate));
    if (term && Object.hasOwn(TERMS, term)) return term;
  }
  return undefined;
}

export const bodyPart: InstanceRule = {
  name: RULE,
  apply(json, ctx) {
    const attr = json[TAG.BodyPartExamined];
    if (!attr) return { json, findings: [] };
    const findings: Finding[] = [];
    const next = mapValues(attr, (v) => {
      if (typeof v !== 'string' || Object.hasOwn(TERMS, v)) return v;
      const term = resolveBodyPart(v, ctx.profile.bodyPartSynonyms);
      if (term) {
        findings.push(
          finding(
            RULE,
            'info',
            TAG.BodyPartExamined,
            v,
            `free-text body part mapped to the Annex L term ${term}`,
            term,
          ),
        );
        return term;
      }
      findings.push(
        finding(
          RULE,
          'warning',
          TAG.BodyPartExamined,
          v,
          'body part is not an Annex L term; kept as text, no SNOMED code',
        ),
      );
      return v;
    });
    return { json: next ? withAttribute(json, TAG.BodyPartExamined, next) : json, findings };
  },
};
