import { describe, expect, it } from 'vitest';
import { matchesType, parseAccept } from './accept.js';

describe('Accept header parsing', () => {
  it('orders media ranges by q, keeping the client order for equal q', () => {
    const entries = parseAccept(
      'application/dicom; q=0.5, multipart/related; type="application/dicom"; transfer-syntax=*, */*; q=0.1',
    );
    expect(entries.map((e) => e.type)).toEqual(['multipart/related', 'application/dicom', '*/*']);
    expect(entries[0]!.params).toEqual({ type: 'application/dicom', 'transfer-syntax': '*' });
  });

  it('treats a missing header as */* and drops q=0 entries', () => {
    expect(parseAccept(undefined)).toEqual([{ type: '*/*', params: {}, q: 1 }]);
    expect(parseAccept('image/png; q=0, image/jpeg').map((e) => e.type)).toEqual(['image/jpeg']);
  });

  it('matches wildcards', () => {
    expect(matchesType('*/*', 'image/jpeg')).toBe(true);
    expect(matchesType('image/*', 'image/jpeg')).toBe(true);
    expect(matchesType('image/*', 'application/dicom')).toBe(false);
  });
});
