import { describe, expect, it } from 'vitest';
import { QueryError } from './query-error.js';
import { parseDateTimeKey, timeLowerBound, timeUpperBound } from './date-time-range.js';

describe('date and time keys', () => {
  it('parses single values and the three range forms', () => {
    expect(parseDateTimeKey('StudyDate', 'DA', '20240105')).toEqual({ exact: '20240105' });
    expect(parseDateTimeKey('StudyDate', 'DA', '20240105-20240107')).toEqual({ from: '20240105', to: '20240107' });
    expect(parseDateTimeKey('StudyDate', 'DA', '20240105-')).toEqual({ from: '20240105' });
    expect(parseDateTimeKey('StudyDate', 'DA', '-20240107')).toEqual({ to: '20240107' });
    expect(parseDateTimeKey('StudyTime', 'TM', '10:15-11')).toEqual({ from: '10:15', to: '11' });
  });

  it('tells a DT range from a DT with a negative UTC offset', () => {
    expect(parseDateTimeKey('AcquisitionDateTime', 'DT', '20240105120000-0500-')).toEqual({
      from: '20240105120000-0500',
    });
    expect(parseDateTimeKey('AcquisitionDateTime', 'DT', '2024-2025')).toEqual({ from: '2024', to: '2025' });
  });

  it('rejects malformed and reversed values with a 400', () => {
    for (const [vr, bad] of [
      ['DA', '2024-01-05'],
      ['DA', '20240107-20240105'],
      ['TM', '1800-0800'],
      ['TM', '9'],
      ['DA', '-'],
    ] as const) {
      expect(() => parseDateTimeKey('Key', vr, bad)).toThrow(QueryError);
    }
  });

  it('bounds a time by its precision', () => {
    expect(timeLowerBound('10')).toBe('100000.000000');
    expect(timeLowerBound('10:15')).toBe('101500.000000');
    expect(timeUpperBound('18')).toBe('185959.999999');
    expect(timeUpperBound('1800')).toBe('180059.999999');
    expect(timeUpperBound('180000')).toBe('180000.999999');
    expect(timeUpperBound('180000.5')).toBe('180000.599999');
  });
});
