import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { demoDataset } from '../../demo/dataset.js';
import { fhirPathExtractor, SearchParamRegistry } from './search-params.js';
import { compileSimplePath, type PathValue } from './simple-path.js';

const SRC = fileURLToPath(new URL('../..', import.meta.url));
const registry = new SearchParamRegistry();

/** Every resource (bundle entries and contained ones included) of every golden JSON file under src/. */
function goldenResources(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(collect);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.resourceType === 'string' && registry.isResourceType(o.resourceType)) out.push(o);
    Object.values(o).forEach(collect);
  };
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) visit(path);
      else if (e.name.endsWith('.json') && dir.split('/').includes('golden'))
        collect(JSON.parse(readFileSync(path, 'utf8')));
    }
  };
  visit(SRC);
  return out;
}

/** Edge cases the goldens may lack: extension-only primitives, nulls in arrays, choice types, odd references. */
const EDGE_CASES: Record<string, unknown>[] = [
  {
    resourceType: 'Patient',
    name: [
      { family: 'Ng', given: ['A', null, 'B'], _given: [null, { extension: [{ url: 'x', valueString: 'y' }] }, null] },
    ],
    _birthDate: {
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }],
    },
    telecom: [{ system: 'phone', value: '555' }, { system: 'email' }],
    generalPractitioner: [
      { reference: 'Practitioner/1' },
      { reference: 'Organization/2' },
      { display: 'no reference' },
    ],
    link: [{ other: { reference: 'http://other.example/fhir/Patient/9' }, type: 'seealso' }],
  },
  {
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'only text' },
    subject: { reference: 'Group/3' },
    effectivePeriod: { start: '2024-01-01', end: '2024-01-02' },
    valueCodeableConcept: { coding: [{ system: 's', code: 'c' }] },
    component: [
      {
        code: { coding: [{ code: 'a' }] },
        valueQuantity: { value: 1.5, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
      },
      { code: { coding: [{ code: 'b' }] }, valueString: 'text' },
      { code: { coding: [{ code: 'c' }] } },
    ],
  },
  {
    resourceType: 'Observation',
    status: 'final',
    code: {},
    effectiveInstant: '2024-01-01T00:00:00Z',
    valueBoolean: false,
    subject: { reference: 'Patient/p1' },
  },
  {
    resourceType: 'Condition',
    subject: { reference: 'urn:uuid:0f0e' },
    onsetAge: { value: 3, unit: 'a' },
    abatementString: 'later',
    recordedDate: '2020',
  },
  {
    resourceType: 'AuditEvent',
    type: { code: 'rest' },
    recorded: '2024-01-01T00:00:00Z',
    agent: [{ requestor: true, who: { reference: 'https://x.example/fhir/Patient/7' } }, { requestor: false }],
    source: { observer: { display: 'none' } },
  },
  {
    resourceType: 'Questionnaire',
    status: 'draft',
    item: [{ linkId: '1', type: 'group', item: [{ linkId: '1.1', type: 'string', code: [{ code: 'n' }] }] }],
  },
];

const corpus = [
  ...goldenResources(),
  ...demoDataset().facility.map((e) => e.resource),
  ...demoDataset().records.flatMap((r) => r.entries.map((e) => e.resource)),
  ...EDGE_CASES,
] as Record<string, unknown>[];

/** A set of values, as FHIRPath's union gives them: order and repeats do not matter. */
const asSet = (values: PathValue[]) => [...new Set(values.map((v) => JSON.stringify(v)))].sort();

describe('compileSimplePath', () => {
  it('gives the values and types FHIRPath gives, for every simple parameter of every resource in the goldens and the demo data', () => {
    const types = new Set(corpus.map((r) => r.resourceType as string));
    expect(types.size).toBeGreaterThan(15);
    let compared = 0;
    let nonEmpty = 0;
    for (const resource of corpus) {
      for (const def of registry.forType(resource.resourceType as string)) {
        if (!def.expression) continue;
        const simple = compileSimplePath(def.expression);
        if (!simple) continue;
        const expected = asSet(fhirPathExtractor(def.expression)(resource));
        expect(asSet(simple(resource)), `${resource.resourceType}.${def.code}: ${def.expression}`).toEqual(expected);
        compared++;
        if (expected.length) nonEmpty++;
      }
    }
    expect(compared).toBeGreaterThan(2000);
    expect(nonEmpty).toBeGreaterThan(500);
  });

  it('covers most of R4 and leaves functions, casts of non-choice elements and unknown paths to FHIRPath', () => {
    let simple = 0;
    let all = 0;
    for (const type of registry.resourceTypes) {
      for (const def of registry.forType(type)) {
        if (!def.expression) continue;
        all++;
        if (compileSimplePath(def.expression)) simple++;
      }
    }
    expect(simple / all).toBeGreaterThan(0.85);
    expect(compileSimplePath('Patient.name.given.first()')).toBeUndefined();
    expect(compileSimplePath("Observation.code.where(coding.system = 'x')")).toBeUndefined();
    expect(compileSimplePath('Patient.birthDate.ofType(Period)')).toBeUndefined();
    expect(compileSimplePath('Patient.noSuchElement')).toBeUndefined();
    expect(compileSimplePath('Observation.value.code')).toBeUndefined(); // a choice element before the last step
    expect(
      compileSimplePath('Observation.value.ofType(Quantity)')?.({
        resourceType: 'Observation',
        valueQuantity: { value: 1 },
      }),
    ).toEqual([{ type: 'Quantity', value: { value: 1 } }]);
  });

  it("reads `where(key='text')` on the last step as FHIRPath does: only the items whose key is that text", () => {
    const email = compileSimplePath("Patient.telecom.where(system='email')");
    expect(email).toBeDefined();
    const patient = {
      resourceType: 'Patient',
      telecom: [
        { system: 'phone', value: '555' },
        { system: 'email', value: 'a@b.c' },
        { value: 'x' },
        { system: 'email' },
      ],
    };
    expect(email!(patient)).toEqual([
      { type: 'ContactPoint', value: { system: 'email', value: 'a@b.c' } },
      { type: 'ContactPoint', value: { system: 'email' } },
    ]);
    expect(asSet(email!(patient))).toEqual(asSet(fhirPathExtractor("Patient.telecom.where(system='email')")(patient)));
    expect(compileSimplePath("Patient.telecom.where(system='email').value")).toBeUndefined();
  });
});
