/**
 * Demographics of a matched Patient against the DICOM header (already mapped to a Patient):
 * which of name, birthDate and gender disagree. Only values present on both sides are
 * compared; names compare family and given, case- and accent-insensitively.
 */
import type { FhirResource } from '../../fhir/types.js';
import type { HumanName, Patient } from '../mapping/index.js';

export type DemographicField = 'name' | 'birthDate' | 'gender';

const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();

function nameKeys(names: unknown): Set<string> {
  const out = new Set<string>();
  for (const n of (Array.isArray(names) ? names : []) as HumanName[]) {
    const key = fold([n.family ?? '', ...(n.given ?? [])].join(' '));
    if (key) out.add(key);
  }
  return out;
}

export function demographicMismatches(stored: FhirResource, header: Patient): DemographicField[] {
  const out: DemographicField[] = [];
  const storedNames = nameKeys(stored.name);
  const headerNames = nameKeys(header.name);
  if (storedNames.size && headerNames.size && ![...headerNames].some((n) => storedNames.has(n))) out.push('name');
  if (typeof stored.birthDate === 'string' && header.birthDate && stored.birthDate !== header.birthDate)
    out.push('birthDate');
  if (typeof stored.gender === 'string' && header.gender && stored.gender !== header.gender) out.push('gender');
  return out;
}
