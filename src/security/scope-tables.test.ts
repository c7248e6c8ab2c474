import { afterEach, describe, expect, it } from 'vitest';
import { parseSmartScope } from './oauth/smart-scopes.js';
import { parseScope } from '../auth/scopes.js';

/** The scope tables must not read inherited members, even from a polluted Object.prototype. */
describe('scope tables under a polluted Object.prototype', () => {
  const proto = Object.prototype as Record<string, unknown>;
  afterEach(() => {
    delete proto.rs;
    delete proto.c;
  });

  it('keeps `.rs` read-and-search on the resource server and at the token endpoint', () => {
    proto.rs = 'cruds';
    proto.c = ['c', 'r', 'u', 'd', 's'];
    expect(parseScope('system/ImagingStudy.rs')?.interactions).toEqual(['r', 's']);
    expect(parseScope('system/ImagingStudy.c')?.interactions).toEqual(['c']);
    expect(parseSmartScope('system/ImagingStudy.rs')?.permissions).toBe('rs');
    expect(parseScope('system/ImagingStudy.constructor')).toBeUndefined();
    expect(parseSmartScope('system/ImagingStudy.constructor')).toBeUndefined();
  });
});
