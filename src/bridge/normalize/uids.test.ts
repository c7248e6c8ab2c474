import { describe, expect, it } from 'vitest';
import { uids } from './uids.js';
import { ds, noProfile } from './test-support.js';

describe('uids', () => {
  it('reports a component with leading zeros as a warning and keeps the UID', () => {
    const input = ds({ '00080018': ['UI', '1.2.03.4'] });
    const { json, findings } = uids.apply(input, noProfile);
    expect(json).toBe(input);
    expect(findings).toMatchObject([{ severity: 'warning', tag: '00080018', original: '1.2.03.4' }]);
  });

  it('holds the study when a Study Instance UID has letters, empty components or more than 64 characters', () => {
    for (const bad of ['1.2.abc', '1..2', `1.${'2'.repeat(64)}`]) {
      expect(uids.apply(ds({ '0020000D': ['UI', bad] }), noProfile).findings[0]!.severity).toBe('error');
    }
  });

  it('only warns about a broken UID that is not an identity (e.g. a referenced frame of reference)', () => {
    expect(uids.apply(ds({ '00200052': ['UI', '1..2'] }), noProfile).findings[0]!.severity).toBe('warning');
  });

  it('accepts conformant UIDs including a zero component', () => {
    expect(
      uids.apply(ds({ '00080016': ['UI', '1.2.840.10008.5.1.4.1.1.2'], '0020000E': ['UI', '1.0.3'] }), noProfile)
        .findings,
    ).toEqual([]);
  });
});
