import type { FhirResource } from '../types.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** `_elements`: only the named top-level elements (plus id and meta), tagged SUBSETTED. */
export function selectElements(resource: FhirResource, elements: string[]): FhirResource {
  const out: FhirResource = { resourceType: resource.resourceType };
  if (resource.id !== undefined) out.id = resource.id;
  out.meta = { ...resource.meta, tag: [...(resource.meta?.tag ?? []), SUBSETTED] };
  for (const name of elements) {
    const key = name.split('.')[0];
    // Choice elements are asked for by their base name (`value` selects valueQuantity).
    for (const k of Object.keys(resource)) {
      if (k === key || (k.startsWith(key) && /^[A-Z]/.test(k.slice(key.length)) && !Object.hasOwn(resource, key)))
        out[k] = resource[k];
    }
  }
  return out;
}
