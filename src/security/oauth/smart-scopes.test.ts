import { describe, expect, it } from 'vitest';
import { grantableScopes, parseSmartScope } from './smart-scopes.js';

describe('SMART scopes', () => {
  it('reads v1 and v2 forms into one shape', () => {
    expect(parseSmartScope('system/*.read')).toEqual({ context: 'system', type: '*', permissions: 'rs', query: '' });
    expect(parseSmartScope('patient/Observation.rs?category=laboratory')).toEqual({
      context: 'patient',
      type: 'Observation',
      permissions: 'rs',
      query: 'category=laboratory',
    });
    expect(parseSmartScope('user/ImagingStudy.*')?.permissions).toBe('cruds');
    expect(parseSmartScope('system/ImagingStudy.sr')).toBeUndefined(); // v2 permissions are in c r u d s order
    expect(parseSmartScope('system/Patient.')).toBeUndefined();
    expect(parseSmartScope('launch/patient')).toBeUndefined();
    expect(parseSmartScope('system/*.read?x=1')).toBeUndefined();
  });

  it('grants a requested scope only when one registered scope covers it entirely', () => {
    const registered = [
      'system/*.read',
      'system/ImagingStudy.c',
      'patient/Observation.rs?category=laboratory',
      'openid',
    ];
    expect(
      grantableScopes(['system/ImagingStudy.rs', 'system/Patient.read', 'system/ImagingStudy.c'], registered),
    ).toEqual(['system/ImagingStudy.rs', 'system/Patient.read', 'system/ImagingStudy.c']);
    expect(grantableScopes(['system/ImagingStudy.cruds', 'system/*.write', 'user/Patient.rs'], registered)).toEqual([]);
    expect(
      grantableScopes(['patient/Observation.rs?category=laboratory', 'patient/Observation.rs'], registered),
    ).toEqual(['patient/Observation.rs?category=laboratory']);
    expect(grantableScopes(['openid', 'fhirUser', 'openid'], registered)).toEqual(['openid']);
  });
});
