import { knownExpression } from './known-expressions.js';
import { termsFor } from './fhirpath-terms.js';
import type { Extract } from './fhirpath-extract.js';
import type { R4Definitions, SearchParameterResource } from './load-r4.js';
import { compileSimplePath, type PathValue } from './simple-path.js';

/** The kinds of search parameter this server indexes; composite and special are not supported. */
export type IndexKind = 'token' | 'string' | 'date' | 'reference' | 'quantity' | 'number' | 'uri';
export const INDEX_KINDS: readonly IndexKind[] = ['token', 'string', 'date', 'reference', 'quantity', 'number', 'uri'];

/** Values FHIRPath returns with their FHIR type name ('CodeableConcept', 'dateTime', ...). */
export type TypedValue = PathValue;

export interface SearchParamDef {
  code: string;
  kind: IndexKind;
  resourceType: string;
  url: string;
  description?: string;
  /** Reference target types. */
  targets: string[];
  /** `_id` and `_lastUpdated` are answered from the resource table, not from index rows. */
  column?: 'id' | 'lastUpdated';
  /** The expression for this resource type only; absent for column parameters. */
  expression?: string;
  extract?: (resource: unknown) => TypedValue[];
}

/**
 * Search parameters per resource type, each expression read straight from the JSON where
 * simple-path.ts can (or known-expressions.ts), else by `fhirPath` (FHIRPath). The server's
 * registry, with every R4 definition, is `SearchParamRegistry` in search-params.ts; this class
 * does not load FHIRPath itself, so that a thread whose parameters are all simple paths need not.
 */
export class SearchParamRegistryOf {
  private readonly byType = new Map<string, Map<string, SearchParamDef>>();
  private readonly sorted = new Map<string, SearchParamDef[]>();
  readonly resourceTypes: readonly string[];

  /**
   * `definitions`: all of R4's or a part (e.g. one resource type's, for a thread that indexes only
   * that type without loading every definition). `fhirPath`: the evaluator of the expressions that
   * are not simple paths.
   */
  constructor(
    definitions: Pick<R4Definitions, 'resourceTypes' | 'searchParameters'>,
    private readonly fhirPath: (expression: string) => Extract,
  ) {
    const { resourceTypes, searchParameters } = definitions;
    this.resourceTypes = resourceTypes;
    for (const type of resourceTypes) this.byType.set(type, new Map());
    for (const sp of searchParameters) this.add(sp);
  }

  isResourceType(type: string): boolean {
    return this.byType.has(type);
  }

  /** The supported parameters of a type (sorted by code), for the CapabilityStatement and indexing. */
  forType(type: string): SearchParamDef[] {
    // Immutable after construction: sorted once per type (every indexed write asks). By code point,
    // not localeCompare: the first collator of a process maps ≈ 2 MB of ICU collation data into
    // its RSS (docs/ingest-memory.md); the order of the R4 codes is the same.
    let sorted = this.sorted.get(type);
    if (!sorted) {
      sorted = Object.freeze(
        [...(this.byType.get(type)?.values() ?? [])].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)),
      ) as SearchParamDef[];
      this.sorted.set(type, sorted);
    }
    return sorted;
  }

  get(type: string, code: string): SearchParamDef | undefined {
    return this.byType.get(type)?.get(code);
  }

  private add(sp: SearchParameterResource): void {
    if (!(INDEX_KINDS as readonly string[]).includes(sp.type)) return;
    const bases = sp.base.includes('Resource') || sp.base.includes('DomainResource') ? this.resourceTypes : sp.base;
    for (const type of bases) {
      const params = this.byType.get(type);
      if (!params) continue;
      const def: SearchParamDef = {
        code: sp.code,
        kind: sp.type as IndexKind,
        resourceType: type,
        url: sp.url,
        description: sp.description,
        targets: sp.target ?? [],
      };
      if (sp.code === '_id') def.column = 'id';
      else if (sp.code === '_lastUpdated') def.column = 'lastUpdated';
      else {
        const expression = sp.expression && termsFor(sp.expression, type);
        if (!expression) continue;
        def.expression = expression;
        def.extract = compileSimplePath(expression) ?? this.withFhirPath(expression);
      }
      params.set(sp.code, def);
    }
  }

  /** FHIRPath's extractor, or a known expression's reader that falls back to it (known-expressions.ts). */
  private withFhirPath(expression: string): Extract {
    const fhirPath = this.fhirPath(expression);
    return knownExpression(expression, fhirPath) ?? fhirPath;
  }
}
