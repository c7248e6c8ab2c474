import { describe, expect, it } from 'vitest';
import { neededScope, parseScope, parseScopes, permits, type Interaction } from './scopes.js';

const LAB = 'category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
const can = (scope: string, resourceType: string, interaction: Interaction, patient?: string) =>
  permits(parseScopes(scope), { resourceType, interaction }, { patient });

describe('SMART scopes: parsing', () => {
  it('reads v1 scopes as their v2 permissions', () => {
    expect(parseScope('patient/Observation.read')).toMatchObject({
      context: 'patient',
      resourceType: 'Observation',
      interactions: ['r', 's'],
      version: 1,
    });
    expect(parseScope('user/*.write')).toMatchObject({
      context: 'user',
      resourceType: '*',
      interactions: ['c', 'u', 'd'],
      version: 1,
    });
    expect(parseScope('system/*.*')?.interactions).toEqual(['c', 'r', 'u', 'd', 's']);
  });

  it('reads v2 permissions in the order c r u d s and refuses any other order', () => {
    expect(parseScope('system/ImagingStudy.rs')).toMatchObject({ interactions: ['r', 's'], version: 2 });
    expect(parseScope('user/Patient.cruds')?.interactions).toEqual(['c', 'r', 'u', 'd', 's']);
    expect(parseScope('user/Patient.cd')?.interactions).toEqual(['c', 'd']);
    expect(parseScope('user/Patient.sr')).toBeUndefined();
    expect(parseScope('user/Patient.rr')).toBeUndefined();
    expect(parseScope('user/Patient.rx')).toBeUndefined();
    expect(parseScope('user/Patient.')).toBeUndefined();
  });

  it('reads a v2 query suffix, decoded, as parameters that must all match', () => {
    const s = parseScope(`patient/Observation.rs?${LAB}`);
    expect(s?.suffix).toEqual({
      text: LAB,
      params: [['category', 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory']],
    });
    expect(parseScope('user/Observation.rs?category=laboratory&status=final')?.suffix?.params).toEqual([
      ['category', 'laboratory'],
      ['status', 'final'],
    ]);
    expect(parseScope('user/Observation.rs?code=http%3A%2F%2Floinc.org%7C1234-5')?.suffix?.params).toEqual([
      ['code', 'http://loinc.org|1234-5'],
    ]);
  });

  it('ignores malformed suffixes and suffixes on v1 scopes', () => {
    expect(parseScope('user/Observation.rs?')).toBeUndefined();
    expect(parseScope('user/Observation.rs?category')).toBeUndefined();
    expect(parseScope('user/Observation.rs?=x')).toBeUndefined();
    expect(parseScope('user/Observation.read?category=laboratory')).toBeUndefined();
  });

  it('ignores non-resource scopes and unknown contexts', () => {
    expect(parseScopes('openid fhirUser launch/patient offline_access launch online_access')).toEqual([]);
    expect(parseScope('admin/Observation.rs')).toBeUndefined();
    expect(parseScope('user/observation.rs')).toBeUndefined();
    expect(parseScopes('  openid  system/Patient.r  user/Observation.zz ').map((s) => s.text)).toEqual([
      'system/Patient.r',
    ]);
  });
});

describe('SMART scopes: what they permit', () => {
  it('grants by type and interaction, with wildcards', () => {
    expect(can('system/ImagingStudy.rs', 'ImagingStudy', 's').allowed).toBe(true);
    expect(can('system/ImagingStudy.rs', 'ImagingStudy', 'c').allowed).toBe(false);
    expect(can('system/ImagingStudy.rs', 'Observation', 'r').allowed).toBe(false);
    expect(can('user/*.read', 'Observation', 's')).toMatchObject({
      allowed: true,
      unrestricted: true,
      grants: [{}],
      constraints: [],
    });
    expect(can('user/*.write', 'Observation', 'u').allowed).toBe(true);
    expect(can('user/*.write', 'Observation', 'r').allowed).toBe(false);
  });

  it('answers a request for every type at once only from wildcard scopes', () => {
    expect(can('system/Patient.rs', '*', 'r').allowed).toBe(false);
    expect(can('system/*.rs', '*', 'r').allowed).toBe(true);
  });

  it('binds patient/ scopes to the patient in context, and grants nothing without one', () => {
    expect(can('patient/Observation.rs', 'Observation', 'r', 'p1')).toMatchObject({
      allowed: true,
      unrestricted: false,
      compartment: 'patient',
      grants: [{ compartment: 'patient' }],
    });
    expect(can('patient/Observation.rs', 'Observation', 'r').allowed).toBe(false);
    expect(can('patient/*.read openid launch/patient', 'Observation', 's').allowed).toBe(false);
  });

  it('restricts to the suffix of the one scope that covers the request', () => {
    const p = can(`user/Observation.rs?${LAB}`, 'Observation', 's');
    expect(p.allowed).toBe(true);
    expect(p.unrestricted).toBe(false);
    expect(p.constraints.map((c) => c.text)).toEqual([LAB]);
    expect(p.compartment).toBeUndefined();
  });

  it('unites several scopes: a scope without suffix wins over one with a suffix', () => {
    expect(can(`user/Observation.rs?${LAB} user/Observation.rs`, 'Observation', 's').unrestricted).toBe(true);
    expect(can(`patient/Observation.rs?${LAB} patient/Observation.rs`, 'Observation', 's', 'p1')).toMatchObject({
      grants: [{ compartment: 'patient' }],
      constraints: [],
    });
    expect(can(`patient/Observation.rs user/Observation.rs`, 'Observation', 's', 'p1').unrestricted).toBe(true);
  });

  it('keeps alternatives that neither covers, and summarises them never wider than they are', () => {
    const two = can(
      'user/Observation.rs?category=laboratory user/Observation.rs?category=vital-signs',
      'Observation',
      's',
    );
    expect(two.grants).toHaveLength(2);
    expect(two.constraints.map((c) => c.text)).toEqual(['category=laboratory', 'category=vital-signs']);
    const mixed = can('patient/Observation.rs user/Observation.rs?category=laboratory', 'Observation', 's', 'p1');
    expect(mixed.grants).toEqual([
      { compartment: 'patient' },
      { suffix: expect.objectContaining({ text: 'category=laboratory' }) },
    ]);
    // Summary: the compartment alone (a subset of compartment ∪ laboratory).
    expect(mixed.compartment).toBe('patient');
    expect(mixed.constraints).toEqual([]);
  });

  it('drops a suffix grant that a wider suffix covers, and duplicates', () => {
    const p = can(
      'user/Observation.rs?category=laboratory&status=final user/Observation.rs?category=laboratory user/Observation.s?category=laboratory',
      'Observation',
      's',
    );
    expect(p.grants.map((g) => g.suffix?.text)).toEqual(['category=laboratory']);
  });

  it('names the scope a refused request needs', () => {
    expect(neededScope({ resourceType: 'Observation', interaction: 's' })).toContain('user/Observation.s');
  });
});
