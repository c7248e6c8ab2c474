import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readDefinitionsJson } from './read-definitions-json.js';
import { loadValueSets } from './value-sets.js';

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

interface ElementDef {
  path: string;
  type?: { code: string; extension?: { url: string; valueString?: string }[] }[];
}

export interface R4Definitions {
  resourceTypes: string[];
  searchParameters: SearchParameterResource[];
  /** Element path (`ImagingStudy.series.modality`) → the code of its first type ('BackboneElement' when untyped). */
  elementTypes: Map<string, string>;
  /** Primitive type → the regex its R4 definition declares (anchored). */
  primitiveRegexes: Map<string, RegExp>;
}

let loaded: R4Definitions | undefined;

/**
 * Loads the R4 StructureDefinitions (into @medplum/core, for validation) and SearchParameters,
 * once per process: they are immutable and the load costs about half a second.
 */
export function loadR4(): R4Definitions {
  if (loaded) return loaded;
  const types = withoutProse(readDefinitionsJson('fhir/r4/profiles-types.json'));
  const resources = withoutProse(readDefinitionsJson('fhir/r4/profiles-resources.json'));
  texts.clear(); // the shared copies stay referenced by the definitions; the lookup is not needed
  indexStructureDefinitionBundle(types);
  indexStructureDefinitionBundle(resources);
  const searchBundle = readDefinitionsJson('fhir/r4/search-parameters.json');
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
  loaded = { resourceTypes: resourceTypes.sort(), searchParameters, ...elementIndex([types, resources]) };
  // Parsing them (16 MB of JSON) at the first write made that write's heap spike the server's peak.
  loadValueSets();
  return loaded;
}

/** Prose no check reads: @medplum/core keeps each element's `definition` as its description. */
const SD_PROSE = ['text', 'description', 'purpose', 'mapping', 'differential'] as const;
const ELEMENT_PROSE = [
  'definition',
  'comment',
  'requirements',
  'mapping',
  'alias',
  'short',
  'meaningWhenMissing',
] as const;

/**
 * The bundle without its prose (≈ 1.6 MB less heap for every server, issue 21). Validation reads
 * the snapshot's paths, cardinalities, types, bindings and constraints (whose message is the
 * constraint's `human`, kept); `load-r4.test.ts` checks the verdicts are those of the full text.
 */
export function withoutProse<T extends { entry?: unknown }>(bundle: T): T {
  for (const { resource } of (bundle.entry ?? []) as { resource: Record<string, unknown> }[]) {
    if (resource.resourceType !== 'StructureDefinition') continue;
    for (const key of SD_PROSE) delete resource[key];
    const snapshot = resource.snapshot as { element?: Record<string, unknown>[] } | undefined;
    for (const element of snapshot?.element ?? []) {
      for (const key of ELEMENT_PROSE) delete element[key];
      shareConstraintText(element.constraint, texts);
    }
  }
  return bundle;
}

/** One copy of each constraint text, shared across the bundles of one load. */
const texts = new Map<string, string>();

/**
 * Constraints repeat on every element (`ele-1` alone ≈ 6,800 times): each text is kept once and
 * shared (≈ 2–3 MB less heap at idle, issue 21). `xpath` is dropped: validation evaluates the
 * FHIRPath `expression`.
 */
function shareConstraintText(constraints: unknown, seen: Map<string, string>): void {
  if (!Array.isArray(constraints)) return;
  for (const c of constraints as Record<string, unknown>[]) {
    delete c.xpath;
    for (const key of ['key', 'severity', 'human', 'expression', 'source'] as const) {
      const text = c[key];
      if (typeof text !== 'string') continue;
      const kept = seen.get(text);
      if (kept === undefined) seen.set(text, text);
      else c[key] = kept;
    }
  }
}

/**
 * The element types and primitive regexes, read from the bundles while they are parsed anyway:
 * reading profiles-resources.json (35 MB) a second time for them cost a second or two of CPU and
 * a ≈ 150 MB heap spike at the first FHIR write of a server.
 */
function elementIndex(bundles: { entry: unknown }[]): Pick<R4Definitions, 'elementTypes' | 'primitiveRegexes'> {
  const elementTypes = new Map<string, string>();
  const primitiveRegexes = new Map<string, RegExp>();
  for (const bundle of bundles) {
    for (const { resource } of bundle.entry as { resource: { snapshot?: { element: ElementDef[] } } }[]) {
      for (const el of resource.snapshot?.element ?? []) {
        elementTypes.set(el.path, el.type?.[0]?.code ?? 'BackboneElement');
        // `dateTime.value` carries the regex of the primitive type dateTime.
        const regex = el.path.endsWith('.value')
          ? el.type?.[0]?.extension?.find((x) => x.url.endsWith('/regex'))?.valueString
          : undefined;
        if (regex) primitiveRegexes.set(el.path.slice(0, -'.value'.length), new RegExp(`^(?:${regex})$`));
      }
    }
  }
  return { elementTypes, primitiveRegexes };
}
