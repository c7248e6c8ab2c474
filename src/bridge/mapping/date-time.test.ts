import { describe, expect, it } from 'vitest';
import { fhirDate, fhirDateTime, fhirDateTimeFromDt, fhirOffset } from './date-time.js';
import { isValidTimezone, offsetAt } from './timezone.js';

describe('DICOM dates and times to FHIR', () => {
  it('uses the IANA zone of the source, with daylight saving for that date', () => {
    expect(fhirDateTime('20240115', '101500', undefined, 'Europe/Berlin')).toBe('2024-01-15T10:15:00+01:00');
    expect(fhirDateTime('20240715', '101500', undefined, 'Europe/Berlin')).toBe('2024-07-15T10:15:00+02:00');
  });

  it('prefers TimezoneOffsetFromUTC over the configured zone', () => {
    expect(fhirDateTime('20240715', '1015', fhirOffset('-0500'), 'Europe/Berlin')).toBe('2024-07-15T10:15:00-05:00');
  });

  it('accepts a fixed ±hhmm zone and half-hour zones', () => {
    expect(fhirDateTime('20240101', '08', undefined, '+0530')).toBe('2024-01-01T08:00:00+05:30');
    expect(offsetAt('Asia/Kolkata', { year: 2024, month: 1, day: 1, hour: 8, minute: 0, second: 0 })).toBe('+05:30');
  });

  it('gives the offset after a spring-forward change for a time just after it', () => {
    expect(offsetAt('America/New_York', { year: 2024, month: 3, day: 10, hour: 3, minute: 30, second: 0 })).toBe(
      '-04:00',
    );
    expect(offsetAt('America/New_York', { year: 2024, month: 3, day: 10, hour: 1, minute: 30, second: 0 })).toBe(
      '-05:00',
    );
  });

  it('gives only the date when there is no valid time', () => {
    expect(fhirDateTime('20240101', undefined, undefined, 'UTC')).toBe('2024-01-01');
    expect(fhirDateTime('20240101', '2500', undefined, 'UTC')).toBe('2024-01-01');
  });

  it('gives nothing for an invalid date', () => {
    expect(fhirDate('20240230')).toBeUndefined();
    expect(fhirDateTime('2024', '1000', undefined, 'UTC')).toBeUndefined();
  });

  it('reads the offset carried by a DT value', () => {
    expect(fhirDateTimeFromDt('20240101120000.25+0100', undefined, 'Asia/Tokyo')).toBe('2024-01-01T12:00:00.25+01:00');
    expect(fhirDateTimeFromDt('20240101120000', undefined, 'Asia/Tokyo')).toBe('2024-01-01T12:00:00+09:00');
  });

  it('rejects offsets that are not ±HHMM and unknown zones', () => {
    expect(fhirOffset('0100')).toBeUndefined();
    expect(fhirOffset('+1600')).toBeUndefined();
    expect(isValidTimezone('Mars/Olympus')).toBe(false);
    expect(isValidTimezone('+01:00')).toBe(true);
  });
});
