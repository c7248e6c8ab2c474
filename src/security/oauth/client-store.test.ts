import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { clientMetadata } from './client-metadata.js';
import { ClientStore } from './client-store.js';
import { verifySecret } from './password-hash.js';
import { openSecurityDb } from './security-store.js';
import { UserStore } from './user-store.js';

const dirs: string[] = [];
const open = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-sec-'));
  dirs.push(dir);
  return openSecurityDb(dir);
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const EC_KEY = { kty: 'EC', crv: 'P-384', x: 'x', y: 'y', kid: 'k1' };

describe('client registrations', () => {
  it('stores a backend client with its public keys and serves it as private_key_jwt metadata', () => {
    const db = open();
    const store = new ClientStore(db);
    store.add({ clientId: 'ai-1', scope: 'system/ImagingStudy.rs system/*.read', jwks: { keys: [EC_KEY] } });
    const client = store.get('ai-1')!;
    expect(client).toMatchObject({
      role: 'ai-service',
      scope: 'system/ImagingStudy.rs system/*.read',
      jwks: { keys: [EC_KEY] },
    });
    expect(clientMetadata(client)).toMatchObject({
      client_id: 'ai-1',
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      scope: 'openid',
    });
    expect(store.list().map((c) => c.clientId)).toEqual(['ai-1']);
    expect(store.remove('ai-1')).toBe(true);
    expect(store.get('ai-1')).toBeUndefined();
    db.close();
  });

  it('keeps only a scrypt hash of a client secret', async () => {
    const db = open();
    const client = new ClientStore(db).add({
      clientId: 'app',
      scope: 'user/*.rs openid fhirUser',
      secret: 'a-long-enough-secret',
      redirectUris: ['https://app.example/cb'],
    });
    expect(client.secretHash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(db.prepare('SELECT * FROM oauth_clients').all())).not.toContain('a-long-enough-secret');
    expect(await verifySecret('a-long-enough-secret', client.secretHash!)).toBe(true);
    expect(await verifySecret('wrong', client.secretHash!)).toBe(false);
    expect(clientMetadata(client)).toMatchObject({
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'client_credentials'],
      scope: 'openid fhirUser',
    });
    db.close();
  });

  it('refuses registrations that cannot work or would leak a private key', () => {
    const db = open();
    const store = new ClientStore(db);
    const fails = (input: Parameters<ClientStore['add']>[0]) => expect(() => store.add(input)).toThrow(ConfigError);
    fails({ clientId: 'x', scope: '', jwks: { keys: [EC_KEY] } });
    fails({ clientId: 'x', scope: 'system/Everything', jwks: { keys: [EC_KEY] } });
    fails({ clientId: 'x', scope: 'system/*.rs' });
    fails({ clientId: 'x', scope: 'system/*.rs', jwks: { keys: [{ ...EC_KEY, d: 'private' }] } });
    fails({ clientId: 'x', scope: 'system/*.rs', jwks: { keys: [{ ...EC_KEY, alg: 'HS256' }] } });
    fails({ clientId: 'x', scope: 'system/*.rs', jwksUri: 'http://keys.example/jwks' });
    fails({ clientId: 'x', scope: 'system/*.rs', secret: 'short' });
    fails({ clientId: 'bad id', scope: 'system/*.rs', jwks: { keys: [EC_KEY] } });
    store.add({ clientId: 'x', scope: 'system/*.rs', jwks: { keys: [EC_KEY] } });
    fails({ clientId: 'x', scope: 'system/*.rs', jwks: { keys: [EC_KEY] } });
    db.close();
  });
});

describe('users', () => {
  it('authenticates by scrypt hash and never stores the password', async () => {
    const db = open();
    const users = new UserStore(db);
    users.add({
      username: 'dr.house',
      password: 'correct horse',
      role: 'radiologist',
      fhirUser: 'Practitioner/7',
      patient: 'p1',
    });
    expect(await users.authenticate('dr.house', 'correct horse')).toMatchObject({
      role: 'radiologist',
      fhirUser: 'Practitioner/7',
      patient: 'p1',
    });
    expect(await users.authenticate('dr.house', 'wrong')).toBeUndefined();
    expect(await users.authenticate('nobody', 'correct horse')).toBeUndefined();
    expect(JSON.stringify(db.prepare('SELECT * FROM users').all())).not.toContain('correct horse');
    expect(() => users.add({ username: 'x', password: 'long enough', role: 'ai-service' })).toThrow(ConfigError);
    db.close();
  });
});
