import fhirpath from 'fhirpath';
import { type Extract, fhirPathWith } from './fhirpath-extract.js';
import { loadR4, type R4Definitions } from './load-r4.js';
import { SearchParamRegistryOf } from './search-param-registry.js';

export {
  INDEX_KINDS,
  type IndexKind,
  type SearchParamDef,
  SearchParamRegistryOf,
  type TypedValue,
} from './search-param-registry.js';

/**
 * Search parameters per resource type, with their FHIRPath compiled once; FHIRPath (the ES
 * module build) loaded with this module, at the server's start rather than at a request's first
 * expression that needs it.
 */
export class SearchParamRegistry extends SearchParamRegistryOf {
  /**
   * `definitions`: a part of R4's (e.g. one resource type's, for a thread that indexes only that
   * type without loading every definition); default all of R4.
   */
  constructor(definitions: Pick<R4Definitions, 'resourceTypes' | 'searchParameters'> = loadR4()) {
    super(definitions, fhirPathExtractor);
  }
}

/** The values of an expression as FHIRPath evaluates it (compiled on first use). */
export function fhirPathExtractor(expression: string): Extract {
  return fhirPathWith(() => fhirpath, expression);
}
