import { describe, expect, it } from 'vitest';
import { modality } from './modality.js';
import { ds } from './test-support.js';

const run = (v: string, profile = {}) => modality.apply(ds({ '00080060': ['CS', v] }), { profile });

describe('modality', () => {
  it('maps MRI to MR and PET to PT', () => {
    expect(run('MRI').json['00080060']!.Value).toEqual(['MR']);
    expect(run('PET').json['00080060']!.Value).toEqual(['PT']);
    expect(run('PET').findings).toMatchObject([{ severity: 'info', original: 'PET', corrected: 'PT' }]);
  });

  it('maps retired terms to their successors', () => {
    expect(run('DS').json['00080060']!.Value).toEqual(['XA']);
    expect(run('ST').json['00080060']!.Value).toEqual(['NM']);
  });

  it("uses the source profile's synonyms before the built-in ones", () => {
    expect(run('XRAY', { modalitySynonyms: { XRAY: 'CR' } }).json['00080060']!.Value).toEqual(['CR']);
  });

  it('keeps an unknown modality and warns', () => {
    const { json, findings } = run('FOO');
    expect(json['00080060']!.Value).toEqual(['FOO']);
    expect(findings[0]!.severity).toBe('warning');
  });

  it('accepts defined terms including non-image ones like SR and SEG', () => {
    expect(run('SR').findings).toEqual([]);
    expect(run('SEG').findings).toEqual([]);
  });
});
