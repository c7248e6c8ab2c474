import { describe, expect, it } from 'vitest';
import { limitUserScopes, limitUserScopeText } from './role-scopes.js';
import { parseScopes } from './scopes.js';

const texts = (scope: string, roles: Parameters<typeof limitUserScopes>[1]) =>
  limitUserScopes(parseScopes(scope), roles).map((s) => s.text);

describe('user/ scopes limited by role', () => {
  it('leaves an administrator or data steward their user/ scopes', () => {
    expect(texts('user/*.cruds', ['administrator'])).toEqual(['user/*.cruds']);
    expect(texts('user/Patient.cud', ['data-steward'])).toEqual(['user/Patient.cud']);
  });

  it('cuts a clinician’s user/*.cruds down to reading everything and writing what the role writes', () => {
    expect(texts('user/*.cruds', ['clinician'])).toEqual([
      'user/*.rs',
      'user/Subscription.cud',
      'user/ServiceRequest.cu',
      'user/Observation.cu',
      'user/DocumentReference.cu',
    ]);
    expect(texts('user/Patient.cruds', ['clinician'])).toEqual(['user/Patient.rs']);
    expect(texts('user/Observation.cruds?category=laboratory', ['clinician'])).toEqual([
      'user/Observation.rs?category=laboratory',
      'user/Observation.cu?category=laboratory',
    ]);
  });

  it('gives a principal without a known role read, search and its Subscriptions only', () => {
    expect(texts('user/*.cruds', [])).toEqual(['user/*.rs', 'user/Subscription.cud']);
    expect(texts('user/Patient.d', [])).toEqual([]);
  });

  it('unions the allowances of several roles and leaves patient/ and system/ scopes alone', () => {
    expect(texts('user/ImagingStudy.cud', ['clinician', 'radiologist'])).toEqual(['user/ImagingStudy.cu']);
    expect(texts('patient/*.cruds system/Patient.d', [])).toEqual(['patient/*.cruds', 'system/Patient.d']);
  });

  it('states the limited scope for a token (non-resource scopes kept)', () => {
    expect(limitUserScopeText(['openid', 'user/Patient.cruds', 'patient/*.rs'], ['clinician'])).toEqual([
      'openid',
      'user/Patient.rs',
      'patient/*.rs',
    ]);
  });
});
