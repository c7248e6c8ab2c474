/**
 * AI findings: category 1 / category 2 lists (versioned data files in findings/), matched by SNOMED
 * code or text, and whether an Observation says the finding is absent (then it adds nothing).
 */
import type { Observation } from '@medplum/fhirtypes';
import category1 from './findings/category-1.json' with { type: 'json' };
import category2 from './findings/category-2.json' with { type: 'json' };
import { codings, matchesText, texts } from './read.js';

const SNOMED = 'http://snomed.info/sct';
/** SNOMED "Absent" / "Not detected" ◐ and v3 interpretation NEG / N. */
const ABSENT = new Set(['2667000', '260415000', 'NEG']);
const NEGATED = /\b(no|without|negative for|absence of|no evidence of|not detected)\b/i;
const IGNORED = new Set(['entered-in-error', 'cancelled']);

interface FindingFile {
  findings: { name: string; snomed: { code: string }[]; patterns: string[] }[];
}

export interface FindingKind {
  name: string;
  category: 1 | 2;
}

const KINDS = [
  ...(category1 as FindingFile).findings.map((f) => ({ ...f, category: 1 as const })),
  ...(category2 as FindingFile).findings.map((f) => ({ ...f, category: 2 as const })),
].map((f) => ({ ...f, codes: new Set(f.snomed.map((s) => s.code)) }));

/** The finding an Observation reports (category 1 first), or undefined (not on the lists, or negative). */
export function findingOf(o: Observation): FindingKind | undefined {
  if (IGNORED.has(o.status) || negative(o)) return undefined;
  const words = texts(o.code);
  const kind = KINDS.find(
    (k) =>
      codings(o.code).some((c) => c.system === SNOMED && !!c.code && k.codes.has(c.code)) ||
      matchesText(words, k.patterns),
  );
  return kind && { name: kind.name, category: kind.category };
}

function negative(o: Observation): boolean {
  if (o.valueBoolean === false) return true;
  const coded = [...codings(o.valueCodeableConcept), ...(o.interpretation ?? []).flatMap(codings)];
  if (coded.some((c) => !!c.code && ABSENT.has(c.code))) return true;
  return [...texts(o.code), ...texts(o.valueCodeableConcept), o.valueString ?? ''].some((t) => NEGATED.test(t));
}

/** The confidence component (0..1) AI results carry (src/ai-results/build.ts), if any. */
export function confidenceOf(o: Observation): number | undefined {
  const c = (o.component ?? []).find((x) => codings(x.code).some((k) => k.code === 'confidence'));
  const v = c?.valueQuantity?.value;
  return typeof v === 'number' && v >= 0 && v <= 1 ? v : undefined;
}
