/**
 * Which patient an answer is about, and which patients a written resource can concern: the read
 * cache (cached-reader.ts) uses both to keep the answers about other patients when a resource is
 * written. Both err towards "unknown" (then the whole type is invalidated), never towards a patient
 * too few.
 */

/** A literal reference `Type/id`, relative or absolute, optionally with a version (FHIR R4 §2.3.0). */
const LITERAL =
  /^(?:https?:\/\/[^?#]*\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

const patientOf = (reference: string) => {
  const m = LITERAL.exec(reference);
  return m?.[1] === 'Patient' ? m[2] : undefined;
};

/**
 * The Patient id a search is restricted to: a single-valued `patient` (whose only target is
 * Patient) or `subject` naming `Patient/<id>`. Undefined when the search is not so restricted.
 * Every resource it can find then holds a reference to that Patient.
 */
export function searchScope(
  resourceType: string,
  pairs: [string, string][],
  targetsOf: (resourceType: string, code: string) => readonly string[] | undefined,
): string | undefined {
  for (const [name, value] of pairs) {
    if (value.includes(',')) continue;
    if (name === 'patient' || name === 'subject' || name === 'patient:Patient' || name === 'subject:Patient') {
      const typed = patientOf(value);
      if (typed) return typed;
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(value)) continue;
      // A bare id: of a Patient only when the parameter can point at nothing else.
      if (name.endsWith(':Patient')) return value;
      const targets = targetsOf(resourceType, name);
      if (targets?.length === 1 && targets[0] === 'Patient') return value;
    }
  }
  return undefined;
}

/**
 * Every Patient a resource refers to anywhere (contained resources and extensions included), plus
 * itself when it is a Patient: a superset of the patients whose scoped searches can find it.
 * Undefined when a reference cannot be told apart (a bare id, a urn): the caller must assume any.
 */
export function patientsOf(resource: { resourceType?: string; id?: string }): string[] | undefined {
  const found = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) found.add(resource.id);
  return collect(resource, found) ? [...found] : undefined;
}

function collect(value: unknown, found: Set<string>): boolean {
  if (Array.isArray(value)) {
    for (const v of value) if (!collect(v, found)) return false;
    return true;
  }
  if (!value || typeof value !== 'object') return true;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'reference' && typeof v === 'string') {
      const m = LITERAL.exec(v);
      if (m?.[1] === 'Patient') found.add(m[2]!);
      // `Type/id` of another type and a contained `#id` are not a patient; anything else (a bare id,
      // a urn, a conditional reference) may be.
      else if (!m && !v.startsWith('#')) return false;
    } else if (typeof v === 'object' && !collect(v, found)) return false;
  }
  return true;
}
