/** medications section: active orders and statements, and what was given or stopped recently. */
import type { MedicationAdministration, MedicationRequest, MedicationStatement } from '@medplum/fhirtypes';
import type { FhirResource } from '../fhir/types.js';
import { asArray, concept, newestFirst, ofType, str, time, type Typed } from './fhir-read.js';
import { ingredientOf } from './ingredients.js';
import type { MedicationSummary } from './summaries.js';

/** Without `since`, "recent" means the last 90 days before `now`. */
export const RECENT_DAYS = 90;

const ACTIVE: Record<MedicationSummary['resourceType'], Set<string>> = {
  MedicationRequest: new Set(['active', 'on-hold']),
  MedicationStatement: new Set(['active', 'intended']),
  MedicationAdministration: new Set(['in-progress']),
};
const NEVER = new Set(['entered-in-error', 'draft', 'not-taken', 'not-done', 'unknown']);

/** A resource of the medications section: an order, a statement or an administration. */
export type MedicationResource = MedicationRequest | MedicationStatement | MedicationAdministration;

function dateOf(r: MedicationResource): string | undefined {
  switch (r.resourceType) {
    case 'MedicationRequest':
      return str(r.authoredOn);
    case 'MedicationStatement':
      return (
        str(r.effectiveDateTime) ?? str(r.effectivePeriod?.end) ?? str(r.effectivePeriod?.start) ?? str(r.dateAsserted)
      );
    case 'MedicationAdministration':
      return str(r.effectiveDateTime) ?? str(r.effectivePeriod?.end) ?? str(r.effectivePeriod?.start);
  }
}

function dosageOf(r: MedicationResource): string | undefined {
  const d =
    r.resourceType === 'MedicationRequest'
      ? asArray(r.dosageInstruction)[0]
      : r.resourceType === 'MedicationStatement'
        ? asArray(r.dosage)[0]
        : r.dosage;
  return str(d?.text);
}

/** Listed as active, as recent (within the window from `recentFrom`), or not at all. */
function stateOf(r: MedicationResource, recentFrom: number): MedicationSummary['state'] | undefined {
  const status = str(r.status);
  // A resource of another type (a server answering off the query) has no ACTIVE set: skipped.
  if (!ACTIVE[r.resourceType] || (status && NEVER.has(status))) return undefined;
  if (status && ACTIVE[r.resourceType].has(status)) return 'active';
  return (time(dateOf(r)) ?? -Infinity) < recentFrom ? undefined : 'recent';
}

/**
 * The last instant (epoch ms) up to which buildMedications, given a later `now`, lists the same
 * resources in the same states: a past medication dated t is `recent` while now ≤ t + 90 days, and
 * one already out of the window stays out. Infinity with `since` (the window does not move).
 */
export function recentStateChangesAt(resources: MedicationResource[], o: { since?: number; now: number }): number {
  if (o.since !== undefined) return Infinity;
  const recentFrom = o.now - RECENT_DAYS * 86_400_000;
  let until = Infinity;
  for (const r of resources)
    if (stateOf(r, recentFrom) === 'recent') until = Math.min(until, time(dateOf(r))! + RECENT_DAYS * 86_400_000);
  return until;
}

export function buildMedications(
  resources: Typed<MedicationResource>[],
  included: FhirResource[],
  o: { since?: number; now: number },
): { items: MedicationSummary[]; used: FhirResource[] } {
  const medications = new Map(ofType(included, 'Medication').map((r) => [r.id!, r]));
  const recentFrom = o.since ?? o.now - RECENT_DAYS * 86_400_000;
  const items: MedicationSummary[] = [];
  const used: FhirResource[] = [];
  for (const r of resources) {
    const type = r.resourceType;
    const status = str(r.status);
    const state = stateOf(r, recentFrom);
    if (!state) continue;
    const active = state === 'active';
    const date = dateOf(r);
    const ref = str(r.medicationReference?.reference)?.replace(/^.*Medication\//, '');
    const medResource = ref ? medications.get(ref) : undefined;
    const medication =
      concept(r.medicationCodeableConcept) ??
      concept(medResource?.code) ??
      (ref ? concept({ text: str(r.medicationReference?.display) }) : undefined);
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
