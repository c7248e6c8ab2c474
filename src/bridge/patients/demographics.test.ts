import { describe, expect, it } from 'vitest';
import { demographicMismatches } from './demographics.js';

const header = {
  resourceType: 'Patient' as const,
  identifier: [{ system: 'urn:x', value: '1' }],
  name: [{ family: 'Müller', given: ['Anna'] }],
  gender: 'female' as const,
  birthDate: '1970-01-02',
};

describe('demographic comparison', () => {
  it('finds no mismatch for the same person written with other case and accents', () => {
    expect(
      demographicMismatches(
        {
          resourceType: 'Patient',
          name: [{ family: 'MULLER', given: ['anna'] }],
          gender: 'female',
          birthDate: '1970-01-02',
        },
        header,
      ),
    ).toEqual([]);
  });

  it('reports each differing field and ignores fields absent on either side', () => {
    expect(
      demographicMismatches(
        { resourceType: 'Patient', name: [{ family: 'Meier', given: ['Anna'] }], gender: 'male' },
        header,
      ),
    ).toEqual(['name', 'gender']);
  });
});
