import type { SearchParamRegistry } from '../definitions/search-params.js';
import type { FhirResource } from '../types.js';

/** Types whose writes through the REST API are refused (written internally only). */
export const READ_ONLY_TYPES = new Set(['AuditEvent']);

const READ_INTERACTIONS = ['read', 'vread', 'search-type', 'history-instance', 'history-type'];
const WRITE_INTERACTIONS = ['create', 'update', 'patch', 'delete'];

/**
 * What this server really does: every R4 resource type, the search parameters it indexes
 * (composite and special ones are left out because they are not supported), and the
 * interactions the router answers.
 */
export function capabilityStatement(
  registry: SearchParamRegistry,
  baseUrl: string,
  version: string,
  date: string,
): FhirResource {
  const resource = registry.resourceTypes.map((type) => {
    const readOnly = READ_ONLY_TYPES.has(type);
    const params = registry.forType(type);
    return {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: [...READ_INTERACTIONS, ...(readOnly ? [] : WRITE_INTERACTIONS)].sort().map((code) => ({ code })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: !readOnly,
      conditionalCreate: !readOnly,
      conditionalRead: 'not-supported',
      conditionalUpdate: !readOnly,
      conditionalDelete: readOnly ? 'not-supported' : 'single',
      referencePolicy: ['literal', 'local'],
      searchInclude: params.filter((p) => p.kind === 'reference').map((p) => `${type}:${p.code}`),
      searchParam: params.map((p) => ({ name: p.code, definition: p.url, type: p.kind })),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'ImagingBridge',
    kind: 'instance',
    software: { name: 'ImagingBridge', version },
    implementation: { description: 'ImagingBridge embedded FHIR R4 server', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Search modifiers: :missing (all), :not (token), :exact and :contains (string), :below (uri), :[type] (reference); ' +
          'one level of chaining; _sort, _count, _offset, _total, _summary=count, _elements, _include and _revinclude (not :iterate).',
        resource,
        interaction: [{ code: 'batch' }, { code: 'transaction' }, { code: 'history-system' }],
      },
    ],
  };
}
