import { describe, expect, it } from 'vitest';
import { queryOf, queryParams, splitUrl } from './query-string.js';

describe('query string decoding', () => {
  it('keeps a literal plus sign and decodes percent escapes', () => {
    const q = queryParams(
      '/dicomweb/studies?TimezoneOffsetFromUTC=+0900&PatientName=M%C3%BCller*&includefield=a&includefield=b',
    );
    expect(q.get('TimezoneOffsetFromUTC')).toBe('+0900');
    expect(q.get('PatientName')).toBe('Müller*');
    expect(q.getAll('includefield')).toEqual(['a', 'b']);
  });

  it('tolerates keys without values and malformed escapes', () => {
    const q = queryParams('/x?PatientID&AccessionNumber=%ZZ');
    expect(q.get('PatientID')).toBe('');
    expect(q.get('AccessionNumber')).toBe('%ZZ');
  });

  it('reads the query of a bare query string, a ?-prefixed one and a Bundle entry URL alike', () => {
    for (const text of ['name=Doe&_count=2', '?name=Doe&_count=2', 'Patient?name=Doe&_count=2']) {
      expect([...queryOf(text)]).toEqual([
        ['name', 'Doe'],
        ['_count', '2'],
      ]);
    }
  });

  it('takes no query from a URL without a question mark', () => {
    expect([...queryParams('/dicomweb/studies')]).toEqual([]);
    expect(splitUrl('/Patient/123/').path).toBe('Patient/123');
    expect([...splitUrl('Patient/123').query]).toEqual([]);
  });

  it('splits a Bundle entry URL into its path and decoded query', () => {
    const { path, query } = splitUrl('Observation?date=ge2024-01-01T00:00:00+02:00');
    expect(path).toBe('Observation');
    expect(query.get('date')).toBe('ge2024-01-01T00:00:00+02:00');
  });
});
