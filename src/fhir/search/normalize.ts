/** String search values compare without case and accents (FHIR R4 3.1.1.5.7). */
export function normalizeString(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
