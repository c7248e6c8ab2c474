import { readDefinitionsJson } from '../definitions/read-definitions-json.js';
import type { SearchParamDef, SearchParamRegistry } from '../definitions/search-params.js';
import { isObject, type FhirResource } from '../types.js';
import type { Condition } from './search-request.js';
import { parseReference } from './references.js';

/**
 * The R4 Patient CompartmentDefinition (http://hl7.org/fhir/CompartmentDefinition/patient): per
 * resource type, the search parameters whose Patient references put a resource in a patient's
 * compartment. A Patient is in its own compartment (and in that of the Patients it links to).
 */
let params: Map<string, string[]> | undefined;

function compartmentParams(): Map<string, string[]> {
  if (params) return params;
  const def = readDefinitionsJson('fhir/r4/compartmentdefinition-patient.json') as {
    resource: { code: string; param?: string[] }[];
  };
  params = new Map(def.resource.filter((r) => r.param?.length).map((r) => [r.code, r.param!]));
  return params;
}

/** Is this type in the Patient compartment at all (Observation yes, Medication no)? */
export function inPatientCompartment(resourceType: string): boolean {
  return compartmentParams().has(resourceType);
}

function paramDefs(registry: SearchParamRegistry, resourceType: string): SearchParamDef[] {
  return (compartmentParams().get(resourceType) ?? [])
    .map((code) => registry.get(resourceType, code))
    .filter((d): d is SearchParamDef => d?.kind === 'reference');
}

/** The ids of the patients in whose compartment `resource` is (empty for types outside it). */
export function compartmentPatients(registry: SearchParamRegistry, resource: FhirResource, baseUrl: string): string[] {
  const out = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) out.add(resource.id);
  for (const id of patientsThrough(paramDefs(registry, resource.resourceType), resource, baseUrl)) out.add(id);
  return [...out];
}

/** The compartment parameters that name a resource's patient of record, where the definition has them. */
const RECORD_PARAMS = ['patient', 'subject'];

/**
 * The one patient whose record `resource` is, for writes: a Patient's own id; otherwise the
 * Patient its `patient`/`subject` compartment parameters name (every compartment parameter for
 * the few types that have neither: Appointment, Coverage, Group, ...). Undefined when there is
 * none, or when any compartment reference (performer, link, ...) names another patient: a
 * write may not put anything into a second patient's compartment.
 */
export function patientOfRecord(
  registry: SearchParamRegistry,
  resource: FhirResource,
  baseUrl: string,
): string | undefined {
  const all = compartmentPatients(registry, resource, baseUrl);
  if (all.length !== 1) return undefined;
  let record: string[];
  if (resource.resourceType === 'Patient') record = resource.id ? [resource.id] : [];
  else {
    const defs = paramDefs(registry, resource.resourceType);
    const named = defs.filter((d) => RECORD_PARAMS.includes(d.code));
    record = patientsThrough(named.length ? named : defs, resource, baseUrl);
  }
  return record.length > 0 && record.every((id) => id === all[0]) ? all[0] : undefined;
}

/** The Patient ids the reference parameters `defs` of `resource` point to. */
function patientsThrough(defs: SearchParamDef[], resource: FhirResource, baseUrl: string): string[] {
  const out = new Set<string>();
  for (const def of defs) {
    for (const { value } of def.extract?.(resource) ?? []) {
      const ref = isObject(value) ? value.reference : value;
      if (typeof ref !== 'string') continue;
      const parsed = parseReference(ref, baseUrl);
      if (parsed.targetType === 'Patient' && parsed.targetId) out.add(parsed.targetId);
    }
  }
  return [...out];
}

/**
 * A search condition selecting the resources of `resourceType` in `patientId`'s compartment, or
 * undefined when the type is not in the Patient compartment.
 */
export function compartmentCondition(
  registry: SearchParamRegistry,
  resourceType: string,
  patientId: string,
): Condition | undefined {
  if (!inPatientCompartment(resourceType)) return undefined;
  const refs: Condition[] = paramDefs(registry, resourceType).map((param) => ({
    kind: 'reference',
    param,
    values: [{ targetType: 'Patient', id: patientId }],
  }));
  const all = resourceType === 'Patient' ? [{ kind: 'id', ids: [patientId], not: false } as Condition, ...refs] : refs;
  if (all.length === 0) return { kind: 'id', ids: [], not: false };
  return all.length === 1 ? all[0] : { kind: 'any', groups: all.map((c) => [c]) };
}
