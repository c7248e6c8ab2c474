import { describe, expect, it } from 'vitest';
import { stringPadding } from './string-padding.js';
import { ds, noProfile } from './test-support.js';

describe('string-padding', () => {
  it('trims trailing NULs from UIDs and spaces around codes and numbers', () => {
    const input = ds({ '0020000D': ['UI', '1.2.3\0'], '00080060': ['CS', ' CT '], '00200013': ['IS', ' 1'] });
    const { json, findings } = stringPadding.apply(input, noProfile);
    expect(json['0020000D']!.Value).toEqual(['1.2.3']);
    expect(json['00080060']!.Value).toEqual(['CT']);
    expect(json['00200013']!.Value).toEqual(['1']);
    expect(findings.map((f) => [f.tag, f.severity])).toEqual([
      ['0020000D', 'info'],
      ['00080060', 'info'],
      ['00200013', 'info'],
    ]);
  });

  it('keeps leading spaces of free text but trims its trailing padding', () => {
    const { json } = stringPadding.apply(ds({ '00081030': ['LT', '  indented note  '] }), noProfile);
    expect(json['00081030']!.Value).toEqual(['  indented note']);
  });

  it('trims each person name component and drops empty trailing components', () => {
    const { json } = stringPadding.apply(ds({ '00100010': ['PN', { Alphabetic: ' DOE ^JOHN ^^' }] }), noProfile);
    expect(json['00100010']!.Value).toEqual([{ Alphabetic: 'DOE^JOHN' }]);
  });

  it('trims sequence items and reports their path', () => {
    const input = ds({ '00400275': ['SQ', ds({ '00401002': ['LO', 'cough '] })] });
    const { findings } = stringPadding.apply(input, noProfile);
    expect(findings[0]!.tag).toBe('00400275[0]/00401002');
  });

  it('returns the very same object and no findings when nothing needs trimming', () => {
    const input = ds({ '00080060': ['CS', 'CT'] });
    const result = stringPadding.apply(input, noProfile);
    expect(result.json).toBe(input);
    expect(result.findings).toEqual([]);
  });

  it('never modifies its input', () => {
    const input = ds({ '00080060': ['CS', 'CT '] });
    stringPadding.apply(input, noProfile);
    expect(input['00080060']!.Value).toEqual(['CT ']);
  });
});
