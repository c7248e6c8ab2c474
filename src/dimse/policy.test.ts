import { describe, expect, it } from 'vitest';
import { decideAssociation, decideContext, normalizeAddress } from './policy.js';

const base = { aeTitle: 'IMGBRIDGE', maxAssociations: 2, allow: undefined };
const request = { calledAe: 'IMGBRIDGE', callingAe: 'MODALITY', remoteAddress: '127.0.0.1', active: 0 };

describe('association policy', () => {
  it('accepts any calling AE from loopback when there is no allow list', () => {
    expect(decideAssociation(request, base)).toEqual({ accept: true });
    expect(decideAssociation({ ...request, remoteAddress: '::ffff:127.0.0.1' }, base).accept).toBe(true);
  });

  it('rejects another called AE title permanently (service user, reason 7)', () => {
    expect(decideAssociation({ ...request, calledAe: 'OTHER' }, base)).toMatchObject({
      accept: false,
      result: 1,
      source: 1,
      reason: 7,
    });
  });

  it('rejects a non-loopback peer without an allow list, and an unlisted AE or host with one (reason 3)', () => {
    expect(decideAssociation({ ...request, remoteAddress: '10.0.0.5' }, base)).toMatchObject({
      accept: false,
      reason: 3,
    });
    const allow = [{ aet: 'MODALITY', hosts: ['10.0.0.5'] }];
    expect(decideAssociation({ ...request, remoteAddress: '10.0.0.5' }, { ...base, allow }).accept).toBe(true);
    expect(decideAssociation({ ...request, remoteAddress: '10.0.0.6' }, { ...base, allow })).toMatchObject({
      accept: false,
      reason: 3,
    });
    expect(
      decideAssociation({ ...request, callingAe: 'OTHER', remoteAddress: '10.0.0.5' }, { ...base, allow }),
    ).toMatchObject({ reason: 3 });
    expect(
      decideAssociation(
        { ...request, callingAe: 'ANY', remoteAddress: '10.0.0.5' },
        { ...base, allow: [{ aet: '*', hosts: ['10.0.0.5'] }] },
      ).accept,
    ).toBe(true);
  });

  it('rejects transiently above the association limit (presentation provider, local limit exceeded)', () => {
    expect(decideAssociation({ ...request, active: 2 }, base)).toMatchObject({
      accept: false,
      result: 2,
      source: 3,
      reason: 2,
    });
  });

  it('strips the IPv4-mapped prefix only from IPv4 addresses', () => {
    expect(normalizeAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeAddress('::1')).toBe('::1');
  });
});

describe('presentation context negotiation', () => {
  it('takes the first proposed syntax we can store, for any storage SOP class', () => {
    expect(decideContext('1.2.840.10008.5.1.4.1.1.2', ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.1'])).toEqual({
      accept: true,
      transferSyntax: '1.2.840.10008.1.2.4.70',
    });
    expect(decideContext('1.2.840.10008.5.1.4.1.1.77.1.6', ['1.2.840.10008.1.2.4.91']).accept).toBe(true);
  });

  it('refuses unknown syntaxes (4) and abstract syntaxes we do not serve (3)', () => {
    expect(decideContext('1.2.840.10008.5.1.4.1.1.2', ['1.2.3.4'])).toEqual({ accept: false, result: 4 });
    expect(decideContext('1.2.840.10008.5.1.4.31', ['1.2.840.10008.1.2'])).toEqual({ accept: false, result: 3 });
  });

  it('offers only native syntaxes for verification and query/retrieve (the library reads those identifiers)', () => {
    expect(decideContext('1.2.840.10008.1.1', ['1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2'])).toEqual({
      accept: true,
      transferSyntax: '1.2.840.10008.1.2',
    });
    expect(decideContext('1.2.840.10008.5.1.4.1.2.1.3', ['1.2.840.10008.1.2.4.50'])).toEqual({
      accept: false,
      result: 4,
    });
  });
});
