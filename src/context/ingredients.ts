/**
 * Medication → active ingredient. RxNorm clinical drugs (SCD) the demo and common EHRs send are
 * mapped to their ingredient (IN) by a small table (◐ codes not checked against RxNav in this
 * environment); otherwise an ingredient-level code is kept, else the name is read from the text
 * ("apixaban 5 MG Oral Tablet" → "apixaban"). `source` says which way it was found.
 */
import type { Concept, Ingredient } from './summaries.js';
import { own } from '../core/own.js';

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const SCD_TO_IN: Record<string, [string, string]> = {
  '1364445': ['1364430', 'apixaban'],
  '1364435': ['1364430', 'apixaban'],
  '855332': ['11289', 'warfarin'],
  '855288': ['11289', 'warfarin'],
  '1114198': ['1114195', 'rivaroxaban'],
  '1232086': ['1114195', 'rivaroxaban'],
  '1037045': ['1546356', 'dabigatran'],
  '1599555': ['1599538', 'edoxaban'],
  '854235': ['67108', 'enoxaparin'],
  '854228': ['67108', 'enoxaparin'],
  '197361': ['17767', 'amlodipine'],
  '314076': ['29046', 'lisinopril'],
  '860975': ['6809', 'metformin'],
  '617312': ['83367', 'atorvastatin'],
  '243670': ['1191', 'aspirin'],
  '309362': ['32968', 'clopidogrel'],
};

/** Dose forms and strengths that end the ingredient part of a drug name. */
const DOSE =
  /\s+(\d[\d.,]*\s*(mg|mcg|g|ml|unt|units?|meq|%)\b|oral|injectable|injection|tablet|capsule|solution|extended|delayed|topical|\[).*/i;

export function ingredientOf(medication: Concept | undefined): Ingredient | undefined {
  if (!medication) return undefined;
  const rx = medication.coding.filter((c) => c.system === RXNORM && c.code);
  for (const c of rx) {
    const hit = own(SCD_TO_IN, c.code!);
    if (hit) return { system: RXNORM, code: hit[0], display: hit[1], source: 'rxnorm-table' };
  }
  const name = (medication.text ?? medication.coding.find((c) => c.display)?.display)?.trim();
  // A single-word display under RxNorm is an ingredient-level code already (e.g. "carboplatin").
  const single = rx.find((c) => c.display && !/\s/.test(c.display.trim()));
  if (single) return { system: RXNORM, code: single.code, display: single.display!.toLowerCase(), source: 'as-coded' };
  if (!name) return undefined;
  const stripped = name
    .replace(DOSE, '')
    .replace(/\s+(sodium|potassium|hydrochloride|hcl|etexilate|mesylate|besylate|calcium)$/i, '')
    .trim();
  return stripped ? { display: stripped.toLowerCase(), source: 'text' } : undefined;
}
