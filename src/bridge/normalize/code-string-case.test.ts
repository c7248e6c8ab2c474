import { describe, expect, it } from 'vitest';
import { codeStringCase } from './code-string-case.js';
import { ds, noProfile } from './test-support.js';

describe('code-string-case', () => {
  it('upper-cases lower-case CS values and records the original', () => {
    const { json, findings } = codeStringCase.apply(ds({ '00100040': ['CS', 'm'] }), noProfile);
    expect(json['00100040']!.Value).toEqual(['M']);
    expect(findings).toMatchObject([{ rule: 'code-string-case', original: ['m'], corrected: ['M'] }]);
  });

  it('leaves other VRs alone', () => {
    const input = ds({ '00081030': ['LO', 'ct chest'] });
    expect(codeStringCase.apply(input, noProfile).json).toBe(input);
  });
});
