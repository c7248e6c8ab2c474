import { createRequire } from 'node:module';
import type fhirpathApi from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import type { PathValue } from './simple-path.js';

export type FhirPathApi = typeof fhirpathApi;
/** The values a search parameter's expression gives for a resource. */
export type Extract = (resource: unknown) => PathValue[];

type Compiled = (resource: unknown) => unknown[];

/** The values of an expression as FHIRPath (`api()`) evaluates it, compiled on first use. */
export function fhirPathWith(api: () => FhirPathApi, expression: string): Extract {
  let compiled: Compiled | undefined;
  return (resource) => {
    const fhirpath = api();
    compiled ??= fhirpath.compile(expression, r4Model as never, { resolveInternalTypes: false }) as Compiled;
    const raw = compiled(resource);
    const types = fhirpath.types(raw);
    const values = fhirpath.resolveInternalTypes(raw) as unknown[];
    return values.map((value, i) => ({ type: (types[i] ?? '').replace(/^(FHIR|System)\./, ''), value }));
  };
}

let required: FhirPathApi | undefined;

/**
 * FHIRPath loaded at the first evaluation (its CommonJS build: an ES module cannot be loaded
 * synchronously), for a thread whose search parameters are read without it (simple-path.ts) and
 * that should not load it at start: the fhirpath package with its UCUM tables is ≈ 70 ms of CPU
 * and ≈ 6 MB of heap per thread (the AuditEvent projection thread starts again after each idle
 * spell, docs/audit-offload.md). The server's own registry loads it at start (search-params.ts).
 */
export function fhirPathOnDemand(expression: string): Extract {
  return fhirPathWith(() => (required ??= createRequire(import.meta.url)('fhirpath') as FhirPathApi), expression);
}
