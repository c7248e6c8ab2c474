import { describe, expect, it } from 'vitest';
import { knownExpression } from './known-expressions.js';
import { fhirPathExtractor, SearchParamRegistry } from './search-params.js';
import type { PathValue } from './simple-path.js';

const DECEASED = 'Patient.deceased.exists() and Patient.deceased != false';

/** Patients with every shape of deceased[x]: the usual ones and the ones left to FHIRPath. */
const SHAPES: Record<string, unknown>[] = [
  {},
  { deceasedBoolean: true },
  { deceasedBoolean: false },
  { deceasedDateTime: '2020-01-02' },
  { deceasedDateTime: '2020-01-02T10:00:00Z' },
  { deceasedDateTime: '2020' },
  { _deceasedBoolean: { extension: [{ url: 'x', valueCode: 'unknown' }] } },
  { deceasedBoolean: false, _deceasedBoolean: { id: 'a' } },
  { deceasedBoolean: true, _deceasedBoolean: { id: 'a' } },
  { _deceasedDateTime: { id: 'a' } },
  { deceasedDateTime: '2020', _deceasedDateTime: { id: 'a' } },
  { deceasedBoolean: null },
  { deceasedDateTime: null },
  { deceasedBoolean: [false] },
  { deceasedBoolean: [true, false] },
  { deceasedBoolean: 'false' },
  { deceasedBoolean: true, deceasedDateTime: '2020' },
  { deceasedBoolean: false, deceasedDateTime: '2020' },
  { deceasedString: 'x' },
  { deceased: true },
  { name: [{ family: 'Ng' }], birthDate: '1970-01-01', gender: 'female' },
];

describe('knownExpression', () => {
  it('reads Patient.deceased as FHIRPath does, for every shape of deceased[x]', () => {
    const fhirPath = fhirPathExtractor(DECEASED);
    let fellBack = 0;
    const counted = (resource: unknown): PathValue[] => {
      fellBack++;
      return fhirPath(resource);
    };
    const known = knownExpression(DECEASED, counted);
    expect(known).toBeDefined();
    for (const shape of SHAPES) {
      const patient = { resourceType: 'Patient', ...shape };
      expect(known!(patient), JSON.stringify(shape)).toEqual(fhirPath(patient));
    }
    // The usual shapes (no deceased[x], one boolean, one dateTime: 9 of them) are read without FHIRPath.
    expect(fellBack).toBe(SHAPES.length - 9);
  });

  it('is what the registry indexes Patient deceased with, and nothing else', () => {
    const def = new SearchParamRegistry().get('Patient', 'deceased');
    expect(def?.expression).toBe(DECEASED);
    expect(def!.extract!({ resourceType: 'Patient', deceasedDateTime: '2021' })).toEqual([
      { type: 'Boolean', value: true },
    ]);
    expect(knownExpression('Patient.name.given.first()', () => [])).toBeUndefined();
  });
});
