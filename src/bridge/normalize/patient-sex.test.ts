import { describe, expect, it } from 'vitest';
import { patientSex } from './patient-sex.js';
import { ds } from './test-support.js';

const run = (v: string, profile = {}) => patientSex.apply(ds({ '00100040': ['CS', v] }), { profile });

describe('patient-sex', () => {
  it('maps spelled-out values to M, F and O', () => {
    expect(run('FEMALE').json['00100040']!.Value).toEqual(['F']);
    expect(run('MALE').json['00100040']!.Value).toEqual(['M']);
  });

  it("applies the profile's local spellings", () => {
    expect(run('W', { sexSynonyms: { W: 'F' } }).json['00100040']!.Value).toEqual(['F']);
  });

  it('warns about anything else and leaves it for the mapping to call unknown', () => {
    const { json, findings } = run('U');
    expect(json['00100040']!.Value).toEqual(['U']);
    expect(findings[0]!.severity).toBe('warning');
  });

  it('accepts M, F and O silently', () => {
    expect(['M', 'F', 'O'].flatMap((v) => run(v).findings)).toEqual([]);
  });
});
