import { describe, expect, it } from 'vitest';
import { integerStrings } from './integer-strings.js';
import { ds, noProfile } from './test-support.js';

describe('integer-strings', () => {
  it('turns an InstanceNumber sent as " 1" into the number 1', () => {
    const { json, findings } = integerStrings.apply(ds({ '00200013': ['IS', ' 1'] }), noProfile);
    expect(json['00200013']!.Value).toEqual([1]);
    expect(findings).toMatchObject([{ severity: 'info', original: ' 1', corrected: 1 }]);
  });

  it('turns decimal strings into numbers', () => {
    expect(integerStrings.apply(ds({ '00180050': ['DS', '1.25E1'] }), noProfile).json['00180050']!.Value).toEqual([
      12.5,
    ]);
  });

  it('removes a value that is not a number and warns', () => {
    const { json, findings } = integerStrings.apply(ds({ '00200011': ['IS', 'abc'] }), noProfile);
    expect(json['00200011']).toEqual({ vr: 'IS' });
    expect(findings[0]!.severity).toBe('warning');
  });

  it('leaves numbers alone', () => {
    const input = ds({ '00200011': ['IS', 3] });
    expect(integerStrings.apply(input, noProfile).json).toBe(input);
  });
});
