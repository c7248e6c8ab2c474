import { describe, expect, it } from 'vitest';
import { configErrorMessage } from '../../core/test-support.js';
import { parseExternalIssuers } from './external-issuers.js';

const message = configErrorMessage;

describe('security.externalIssuers config', () => {
  it('reads an issuer with defaults for the claim names', () => {
    const [idp] = parseExternalIssuers({
      externalIssuers: [
        {
          issuer: 'https://idp.example/realm',
          jwksUri: 'https://idp.example/certs',
          audience: 'https://ib.example/fhir',
          roleMap: { Radiologist: 'radiologist' },
        },
      ],
      auditExport: {},
    });
    expect(idp).toMatchObject({
      issuer: 'https://idp.example/realm',
      audience: ['https://ib.example/fhir'],
      scopeClaim: 'scope',
      rolesClaim: 'roles',
      roleMap: { Radiologist: 'radiologist' },
    });
    expect(parseExternalIssuers(undefined)).toEqual([]);
    expect(parseExternalIssuers({})).toEqual([]);
  });

  it('names the key that is wrong', () => {
    const base = { issuer: 'https://idp.example', jwksUri: 'https://idp.example/certs', audience: 'x' };
    expect(message(() => parseExternalIssuers([]))).toContain('"security" must be an object');
    expect(message(() => parseExternalIssuers({ externalIssuers: {} }))).toContain('must be an array');
    expect(message(() => parseExternalIssuers({ externalIssuers: [{ ...base, audience: undefined }] }))).toContain(
      '"security.externalIssuers[0].audience" is required',
    );
    expect(message(() => parseExternalIssuers({ externalIssuers: [{ ...base, jwksUri: undefined }] }))).toContain(
      'exactly one of jwksUri or jwks',
    );
    expect(
      message(() => parseExternalIssuers({ externalIssuers: [{ ...base, jwksUri: 'http://idp.example/certs' }] })),
    ).toContain('must be https');
    expect(
      message(() => parseExternalIssuers({ externalIssuers: [{ ...base, roleMap: { Boss: 'king' } }] })),
    ).toContain('roleMap.Boss" must be one of');
    expect(message(() => parseExternalIssuers({ externalIssuers: [{ ...base, algorithms: ['HS256'] }] }))).toContain(
      'algorithms',
    );
    expect(message(() => parseExternalIssuers({ externalIssuers: [{ ...base, audiance: 'x' }] }))).toContain(
      '"security.externalIssuers[0].audiance" is not known',
    );
    expect(message(() => parseExternalIssuers({ externalIssuers: [base, base] }))).toContain('listed twice');
    expect(
      message(() =>
        parseExternalIssuers({
          externalIssuers: [{ ...base, jwksUri: undefined, jwks: { keys: [{ kty: 'EC', d: 'secret' }] } }],
        }),
      ),
    ).toContain('public keys only');
  });
});
