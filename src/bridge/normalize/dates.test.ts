import { describe, expect, it } from 'vitest';
import { dates } from './dates.js';
import { ds, noProfile } from './test-support.js';

const studyDate = (v: string) => dates.apply(ds({ '00080020': ['DA', v] }), noProfile);

describe('dates', () => {
  it('rewrites dotted, dashed and slashed dates to YYYYMMDD', () => {
    for (const v of ['2024.01.02', '2024-01-02', '2024/01/02']) {
      const { json, findings } = studyDate(v);
      expect(json['00080020']!.Value).toEqual(['20240102']);
      expect(findings).toMatchObject([{ severity: 'info', original: v, corrected: '20240102' }]);
    }
  });

  it('reads DD.MM.YYYY as day first', () => {
    expect(studyDate('02.01.2024').json['00080020']!.Value).toEqual(['20240102']);
  });

  it('removes a date that is not on the calendar and warns', () => {
    const { json, findings } = studyDate('20230229');
    expect(json['00080020']).toEqual({ vr: 'DA' });
    expect(findings[0]!.severity).toBe('warning');
  });

  it('compacts a DT written with separators, keeping its offset', () => {
    const { json } = dates.apply(ds({ '0008002A': ['DT', '2024-01-02T10:30:00.5+01:00'] }), noProfile);
    expect(json['0008002A']!.Value).toEqual(['20240102103000.5+0100']);
  });

  it('leaves valid dates untouched', () => {
    expect(studyDate('20240229').findings).toEqual([]);
  });
});
