/** medications section: active orders and statements, and what was given or stopped recently. */
import type { FhirResource } from '../fhir/types.js';
import { asArray, concept, newestFirst, str, time, type Concept, type Json } from './fhir-read.js';
import { ingredientOf, type Ingredient } from './ingredients.js';

/** Without `since`, "recent" means the last 90 days before `now`. */
export const RECENT_DAYS = 90;

export interface MedicationSummary {
  id: string;
  resourceType: 'MedicationRequest' | 'MedicationStatement' | 'MedicationAdministration';
  status?: string;
  /** `active`: ordered or taken now; `recent`: given, stopped or completed within the window. */
  state: 'active' | 'recent';
  ingredient?: Ingredient;
  medication?: Concept;
  dosage?: string;
  /** When it was ordered (request), last taken (statement) or given (administration). */
  date?: string;
}

const ACTIVE: Record<MedicationSummary['resourceType'], Set<string>> = {
  MedicationRequest: new Set(['active', 'on-hold']),
  MedicationStatement: new Set(['active', 'intended']),
  MedicationAdministration: new Set(['in-progress']),
};
const NEVER = new Set(['entered-in-error', 'draft', 'not-taken', 'not-done', 'unknown']);

function dateOf(r: Json): string | undefined {
  return (
    str(r.authoredOn) ??
    str(r.effectiveDateTime) ??
    str((r.effectivePeriod as Json | undefined)?.end) ??
    str((r.effectivePeriod as Json | undefined)?.start) ??
    str(r.dateAsserted)
  );
}

function dosageOf(r: Json): string | undefined {
  const d = asArray(r.dosageInstruction)[0] ?? asArray(r.dosage)[0];
  return str(d?.text);
}

export function buildMedications(
  resources: FhirResource[],
  included: FhirResource[],
  o: { since?: number; now: number },
): { items: MedicationSummary[]; used: FhirResource[] } {
  const medications = new Map(included.filter((r) => r.resourceType === 'Medication').map((r) => [r.id!, r]));
  const recentFrom = o.since ?? o.now - RECENT_DAYS * 86_400_000;
  const items: MedicationSummary[] = [];
  const used: FhirResource[] = [];
  for (const r of resources) {
    const type = r.resourceType as MedicationSummary['resourceType'];
    const status = str(r.status);
    if (!ACTIVE[type] || (status && NEVER.has(status))) continue;
    const active = !!status && ACTIVE[type].has(status);
    const date = dateOf(r);
    if (!active && (time(date) ?? -Infinity) < recentFrom) continue;
    const ref = str((r.medicationReference as Json | undefined)?.reference)?.replace(/^.*Medication\//, '');
    const medResource = ref ? medications.get(ref) : undefined;
    const medication =
      concept(r.medicationCodeableConcept) ??
      concept(medResource?.code) ??
      (ref ? concept({ text: str((r.medicationReference as Json).display) }) : undefined);
    const out: MedicationSummary = { id: r.id!, resourceType: type, state: active ? 'active' : 'recent' };
    if (status) out.status = status;
    const ingredient = ingredientOf(medication);
    if (ingredient) out.ingredient = ingredient;
    if (medication) out.medication = medication;
    const dosage = dosageOf(r);
    if (dosage) out.dosage = dosage;
    if (date) out.date = date;
    items.push(out);
    used.push(r);
    if (medResource && !used.includes(medResource)) used.push(medResource);
  }
  // Active first, then newest first.
  const sorted = newestFirst(
    items,
    (m) => time(m.date),
    (m) => `${m.resourceType}/${m.id}`,
  ).sort((a, b) => (a.state === b.state ? 0 : a.state === 'active' ? -1 : 1));
  return { items: sorted, used };
}
