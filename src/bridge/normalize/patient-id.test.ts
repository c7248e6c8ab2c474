import { describe, expect, it } from 'vitest';
import { patientId } from './patient-id.js';
import { ds } from './test-support.js';

describe('patient-id', () => {
  it('keeps leading zeros by default and says so', () => {
    const input = ds({ '00100020': ['LO', '00123'], '00100021': ['LO', 'HOSP'] });
    const { json, findings } = patientId.apply(input, { profile: {} });
    expect(json['00100020']!.Value).toEqual(['00123']);
    expect(findings).toMatchObject([{ severity: 'info', original: '00123' }]);
  });

  it('strips leading zeros when the source profile says the source pads', () => {
    const input = ds({ '00100020': ['LO', '00123'], '00100021': ['LO', 'HOSP'] });
    expect(patientId.apply(input, { profile: { patientIdLeadingZeros: 'strip' } }).json['00100020']!.Value).toEqual([
      '123',
    ]);
  });

  it('notes a missing issuer, but not when the qualifiers sequence names one', () => {
    expect(patientId.apply(ds({ '00100020': ['LO', '7'] }), { profile: {} }).findings).toMatchObject([
      { tag: '00100021' },
    ]);
    const qualified = ds({ '00100020': ['LO', '7'], '00100024': ['SQ', ds({ '00400032': ['UT', '1.2.3'] })] });
    expect(patientId.apply(qualified, { profile: {} }).findings).toEqual([]);
  });

  it('warns about spaces inside the ID', () => {
    expect(
      patientId.apply(ds({ '00100020': ['LO', '12 34'], '00100021': ['LO', 'H'] }), { profile: {} }).findings[0]!
        .severity,
    ).toBe('warning');
  });
});
