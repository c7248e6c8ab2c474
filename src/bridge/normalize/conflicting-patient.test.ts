import { describe, expect, it } from 'vitest';
import { conflictingPatient } from './conflicting-patient.js';
import { ds, noProfile } from './test-support.js';

const patient = (id: string, name: string, sex = 'F') =>
  ds({ '00100020': ['LO', id], '00100010': ['PN', { Alphabetic: name }], '00100040': ['CS', sex] });

describe('conflicting-patient', () => {
  it('holds a study whose instances name two different PatientIDs', () => {
    const { findings } = conflictingPatient.apply([patient('1', 'DOE^JANE'), patient('2', 'DOE^JANE')], noProfile);
    expect(findings).toMatchObject([{ severity: 'error', tag: '00100020', original: ['1', '2'] }]);
  });

  it('warns when name or sex differ for the same PatientID', () => {
    const { findings } = conflictingPatient.apply(
      [patient('1', 'DOE^JANE'), patient('1', 'DOE^JANET', 'M')],
      noProfile,
    );
    expect(findings.map((f) => [f.tag, f.severity])).toEqual([
      ['00100010', 'warning'],
      ['00100040', 'warning'],
    ]);
  });

  it('finds nothing when all instances agree', () => {
    expect(conflictingPatient.apply([patient('1', 'A^B'), patient('1', 'A^B')], noProfile).findings).toEqual([]);
  });
});
