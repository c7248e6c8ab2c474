import { describe, expect, it } from 'vitest';
import { canonicalTime, times } from './times.js';
import { ds, noProfile } from './test-support.js';

describe('times', () => {
  it('removes colon separators and keeps fractions', () => {
    const { json, findings } = times.apply(ds({ '00080030': ['TM', '10:30:00.123'] }), noProfile);
    expect(json['00080030']!.Value).toEqual(['103000.123']);
    expect(findings).toMatchObject([{ severity: 'info', corrected: '103000.123' }]);
  });

  it('cuts fractions to six digits and accepts a comma as decimal mark', () => {
    expect(canonicalTime('103000,1234567')).toBe('103000.123456');
  });

  it('accepts hour-only and hour-minute precision as they are', () => {
    expect(canonicalTime('10')).toBe('10');
    expect(canonicalTime('1030')).toBe('1030');
  });

  it('removes an out-of-range time and warns', () => {
    for (const v of ['250000', '106100', '103061']) {
      const { json, findings } = times.apply(ds({ '00080030': ['TM', v] }), noProfile);
      expect(json['00080030']).toEqual({ vr: 'TM' });
      expect(findings[0]!.severity).toBe('warning');
    }
  });
});
