import { describe, expect, it } from 'vitest';
import { requiredAttributes } from './required-attributes.js';
import { ds, noProfile } from './test-support.js';

const complete = {
  '0020000D': ['UI', '1.2'],
  '0020000E': ['UI', '1.2.1'],
  '00080018': ['UI', '1.2.1.1'],
  '00080016': ['UI', '1.2.840.10008.5.1.4.1.1.2'],
  '00080060': ['CS', 'CT'],
  '00100020': ['LO', 'P1'],
  '00080020': ['DA', '20240101'],
  '00080030': ['TM', '101010'],
  '00200011': ['IS', 1],
  '00200013': ['IS', 1],
} as const;

describe('required-attributes', () => {
  it('finds nothing in a complete instance', () => {
    expect(requiredAttributes.apply(ds({ ...complete } as never), noProfile).findings).toEqual([]);
  });

  it('holds the study when Modality, PatientID or a UID is missing', () => {
    for (const tag of ['00080060', '00100020', '0020000E', '00080016']) {
      const attrs: Record<string, unknown> = { ...complete };
      attrs[tag] = [tag === '00080060' ? 'CS' : 'LO'];
      expect(requiredAttributes.apply(ds(attrs as never), noProfile).findings).toMatchObject([
        { tag, severity: 'error' },
      ]);
    }
  });

  it('only warns about a missing StudyDate and notes missing numbers', () => {
    const { '00080020': _d, '00200013': _n, ...rest } = complete;
    expect(requiredAttributes.apply(ds(rest as never), noProfile).findings.map((f) => [f.tag, f.severity])).toEqual([
      ['00080020', 'warning'],
      ['00200013', 'info'],
    ]);
  });
});
