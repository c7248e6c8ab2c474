import { describe, expect, it } from 'vitest';
import { ds } from '../normalize/test-support.js';
import { mapPatient } from './patient.js';
import { expectValidR4 } from './test-support.js';

const ctx = { issuerSystems: { HOSP_A: 'urn:oid:1.2.3' }, defaultPatientSystem: 'http://source.example/mrn' };

describe('mapPatient', () => {
  it('takes the identifier system from the configured issuer map', () => {
    const p = mapPatient(ds({ '00100020': ['LO', '123'], '00100021': ['LO', 'HOSP_A'] }), ctx);
    expect(p.identifier[0]).toMatchObject({ system: 'urn:oid:1.2.3', value: '123' });
    expectValidR4(p);
  });

  it("falls back to the source's default system when the issuer is missing or unknown", () => {
    expect(mapPatient(ds({ '00100020': ['LO', '123'] }), ctx).identifier[0]!.system).toBe('http://source.example/mrn');
    expect(mapPatient(ds({ '00100020': ['LO', '123'], '00100021': ['LO', 'OTHER'] }), ctx).identifier[0]!.system).toBe(
      'http://source.example/mrn',
    );
  });

  it('uses an ISO universal entity id as an OID system', () => {
    const json = ds({
      '00100020': ['LO', '9'],
      '00100024': ['SQ', ds({ '00400032': ['UT', '2.16.840.1.1'], '00400033': ['CS', 'ISO'] })],
    });
    expect(mapPatient(json, ctx).identifier[0]!.system).toBe('urn:oid:2.16.840.1.1');
  });

  it('refuses to build an identifier without a system', () => {
    expect(() => mapPatient(ds({ '00100020': ['LO', '1'] }), { issuerSystems: {}, defaultPatientSystem: ' ' })).toThrow(
      /system/,
    );
  });

  it('maps M/F/O, calls anything else unknown and omits an empty sex', () => {
    const sex = (v?: string) =>
      mapPatient(ds({ '00100020': ['LO', '1'], '00100040': v ? ['CS', v] : ['CS'] }), ctx).gender;
    expect([sex('M'), sex('F'), sex('O'), sex('X'), sex()]).toEqual(['male', 'female', 'other', 'unknown', undefined]);
  });

  it('keeps prefix, middle names and suffix, and the birth date', () => {
    const p = mapPatient(
      ds({
        '00100020': ['LO', '1'],
        '00100010': ['PN', { Alphabetic: 'Doe^John^Paul Peter^Dr.^Jr.' }],
        '00100030': ['DA', '19700102'],
      }),
      ctx,
    );
    expect(p.name).toEqual([
      { use: 'official', family: 'Doe', given: ['John', 'Paul', 'Peter'], prefix: ['Dr.'], suffix: ['Jr.'] },
    ]);
    expect(p.birthDate).toBe('1970-01-02');
    expectValidR4(p);
  });
});
