import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auditEventDefinitions } from '../../audit/open.js';
import { fhirPathOnDemand } from './fhirpath-extract.js';
import { loadR4 } from './load-r4.js';
import { SearchParamRegistryOf } from './search-param-registry.js';
import { fhirPathExtractor, SearchParamRegistry } from './search-params.js';

const SRC = fileURLToPath(new URL('../..', import.meta.url));

/** Resources whose values come from parameters that are not simple paths (FHIRPath `as`, `ofType`, `exists`). */
const RESOURCES: Record<string, unknown>[] = [
  { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'left' },
  { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueCodeableConcept: { text: 'pos' } },
  {
    resourceType: 'Condition',
    subject: { reference: 'Patient/1' },
    onsetDateTime: '2020-02-03',
    abatementString: 'gone',
  },
  {
    resourceType: 'Condition',
    subject: { reference: 'Patient/1' },
    onsetPeriod: { start: '2020-01-01' },
    abatementAge: { value: 3, unit: 'a' },
  },
  { resourceType: 'Patient', _deceasedBoolean: { extension: [{ url: 'x', valueCode: 'unknown' }] } },
];

/**
 * The value imports (not `import type`) of a module of src/, as written in its source: relative
 * ones resolved to the .ts file, packages by their specifier.
 */
function valueImports(file: string): { local: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8');
  const local: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'/gms)) {
    if (m[1]) continue;
    const spec = (m[2] ?? m[3])!;
    if (spec.startsWith('.')) local.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    else if (!spec.startsWith('node:')) packages.push(spec);
  }
  return { local, packages };
}

/** Every package a module loads through its own imports and theirs, with the module that imports it. */
function packagesReached(entry: string): Map<string, string> {
  const seen = new Set([entry]);
  const queue = [entry];
  const out = new Map<string, string>();
  while (queue.length) {
    const file = queue.shift()!;
    const { local, packages } = valueImports(file);
    for (const p of packages) if (!out.has(p)) out.set(p, file.slice(SRC.length));
    for (const l of local) if (!seen.has(l)) seen.add(l) && queue.push(l);
  }
  return out;
}

describe('FHIRPath for the expressions simple paths cannot read', () => {
  it('loaded on demand, gives what the registry of the server gives (FHIRPath loaded at start)', () => {
    const all = loadR4();
    const onDemand = new SearchParamRegistryOf(all, fhirPathOnDemand);
    const server = new SearchParamRegistry(all);
    let compared = 0;
    for (const resource of RESOURCES) {
      const type = resource.resourceType as string;
      for (const def of server.forType(type)) {
        if (!def.extract) continue;
        const other = onDemand.get(type, def.code)!;
        expect(other.extract!(resource), `${type}.${def.code}`).toEqual(def.extract(resource));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(50);
    // …and what FHIRPath itself gives, values found.
    const valueString = 'Observation.value.ofType(string) | Observation.value.ofType(CodeableConcept).text';
    expect(fhirPathOnDemand(valueString)(RESOURCES[0])).toEqual(fhirPathExtractor(valueString)(RESOURCES[0]));
    expect(fhirPathOnDemand(valueString)(RESOURCES[1])).toEqual([{ type: 'string', value: 'pos' }]);
  });

  it('is never needed for AuditEvent: each of its parameters is read without it', () => {
    const asked: string[] = [];
    const registry = new SearchParamRegistryOf(auditEventDefinitions(), (expression) => {
      asked.push(expression);
      return () => [];
    });
    expect(asked).toEqual([]);
    expect(registry.forType('AuditEvent').filter((d) => d.extract).length).toBeGreaterThan(15);
  });

  it("the audit projection thread's modules load neither fhirpath nor @medplum/core (≈ 70 + 20 ms of CPU per start)", () => {
    const reached = packagesReached(`${SRC}audit/projection-worker.ts`);
    expect(reached.has('better-sqlite3')).toBe(true); // the scan follows the imports
    expect([...reached.keys()].filter((p) => p === 'fhirpath' || p.startsWith('@medplum/'))).toEqual([]);
    // The R4 model simple paths read types from is the one part of the package it loads.
    expect([...reached.keys()].filter((p) => p.startsWith('fhirpath'))).toEqual(['fhirpath/fhir-context/r4/index.js']);
    // The server's registry does load FHIRPath.
    expect(packagesReached(`${SRC}fhir/embedded.ts`).has('fhirpath')).toBe(true);
  });
});
