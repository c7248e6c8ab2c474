import { describe, expect, it } from 'vitest';
import { queryParams } from './query-string.js';

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
});
