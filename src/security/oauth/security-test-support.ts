import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { clientMetadata } from './client-metadata.js';
import { ClientStore } from './client-store.js';
import { storeAdapterFactory } from './oidc-adapter.js';
import { verifySecret } from './password-hash.js';
import type { SecurityStore } from './security-store.js';
import { UserStore } from './user-store.js';

export interface OpenedSecurityStore {
  store: SecurityStore;
  /** Another store on the same data (another process or instance). */
  another(): Promise<SecurityStore>;
  /** Every row of a table, as JSON text (to prove what is not stored). */
  dump(table: 'oauth_clients' | 'users'): Promise<string>;
  close(): Promise<void>;
}

/** `skip`: why this implementation cannot run here (no server); the suite is reported skipped with it. */
export interface SuiteOptions {
  skip?: string;
}

const EC_KEY = { kty: 'EC', crv: 'P-384', x: 'x', y: 'y', kid: 'k1' };

/** The behaviour every SecurityStore implementation must have (SQLite, PostgreSQL), through its users. */
export function securityStoreSuite(
  name: string,
  open: () => Promise<OpenedSecurityStore>,
  options: SuiteOptions = {},
): void {
  const skipped = options.skip === undefined ? '' : ` (skipped: ${options.skip})`;
  describe.skipIf(options.skip !== undefined)(`SecurityStore contract: ${name}${skipped}`, () => {
    let opened: OpenedSecurityStore;
    let store: SecurityStore;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    it('stores a backend client with its public keys and serves it as private_key_jwt metadata', async () => {
      const clients = new ClientStore(store);
      await clients.add({ clientId: 'ai-1', scope: 'system/ImagingStudy.rs system/*.read', jwks: { keys: [EC_KEY] } });
      const client = (await clients.get('ai-1'))!;
      expect(client).toMatchObject({
        role: 'ai-service',
        scope: 'system/ImagingStudy.rs system/*.read',
        jwks: { keys: [EC_KEY] },
        redirectUris: [],
      });
      expect(clientMetadata(client)).toMatchObject({
        client_id: 'ai-1',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        scope: 'openid',
      });
      await clients.add({ clientId: 'a-0', scope: 'system/*.rs', jwksUri: 'https://keys.example/jwks' });
      expect((await clients.list()).map((c) => c.clientId)).toEqual(['a-0', 'ai-1']);
      expect(await clients.remove('ai-1')).toBe(true);
      expect(await clients.remove('ai-1')).toBe(false);
      expect(await clients.get('ai-1')).toBeUndefined();
    });

    it('keeps only a scrypt hash of a client secret', async () => {
      const client = await new ClientStore(store).add({
        clientId: 'app',
        scope: 'user/*.rs openid fhirUser',
        secret: 'a-long-enough-secret',
        redirectUris: ['https://app.example/cb'],
      });
      expect(client.secretHash).toMatch(/^scrypt\$/);
      expect(await opened.dump('oauth_clients')).not.toContain('a-long-enough-secret');
      expect(await verifySecret('a-long-enough-secret', client.secretHash!)).toBe(true);
      expect(clientMetadata((await new ClientStore(store).get('app'))!)).toMatchObject({
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'client_credentials'],
        scope: 'openid fhirUser',
        redirect_uris: ['https://app.example/cb'],
      });
    });

    it('refuses registrations that cannot work, would leak a private key, or take a registered id', async () => {
      const clients = new ClientStore(store);
      const fails = (input: Parameters<ClientStore['add']>[0]) =>
        expect(clients.add(input)).rejects.toThrow(ConfigError);
      await fails({ clientId: 'x', scope: '', jwks: { keys: [EC_KEY] } });
      await fails({ clientId: 'x', scope: 'system/Everything', jwks: { keys: [EC_KEY] } });
      await fails({ clientId: 'x', scope: 'system/*.rs' });
      await fails({ clientId: 'x', scope: 'system/*.rs', jwks: { keys: [{ ...EC_KEY, d: 'private' }] } });
      await fails({ clientId: 'x', scope: 'system/*.rs', jwks: { keys: [{ ...EC_KEY, alg: 'HS256' }] } });
      await fails({ clientId: 'x', scope: 'system/*.rs', jwksUri: 'http://keys.example/jwks' });
      await fails({ clientId: 'x', scope: 'system/*.rs', secret: 'short' });
      await fails({ clientId: 'bad id', scope: 'system/*.rs', jwks: { keys: [EC_KEY] } });
      expect(await clients.list()).toEqual([]);
      await clients.add({ clientId: 'x', scope: 'system/*.rs', jwks: { keys: [EC_KEY] } });
      await fails({ clientId: 'x', scope: 'system/Patient.rs', jwks: { keys: [EC_KEY] } });
      expect((await clients.get('x'))?.scope).toBe('system/*.rs');
    });

    it('authenticates users by scrypt hash and never stores the password', async () => {
      const users = new UserStore(store);
      await users.add({
        username: 'dr.house',
        password: 'correct horse',
        role: 'radiologist',
        fhirUser: 'Practitioner/7',
        patient: 'p1',
      });
      expect(await users.authenticate('dr.house', 'correct horse')).toMatchObject({
        username: 'dr.house',
        role: 'radiologist',
        fhirUser: 'Practitioner/7',
        patient: 'p1',
      });
      expect(await users.authenticate('dr.house', 'wrong')).toBeUndefined();
      expect(await users.authenticate('nobody', 'correct horse')).toBeUndefined();
      expect(await opened.dump('users')).not.toContain('correct horse');
      expect(JSON.stringify(await users.list())).not.toContain('scrypt');
      await expect(users.add({ username: 'x', password: 'long enough', role: 'ai-service' })).rejects.toThrow(
        ConfigError,
      );
      await expect(users.add({ username: 'dr.house', password: 'other words', role: 'clinician' })).rejects.toThrow(
        /already exists/,
      );
      expect(await users.remove('dr.house')).toBe(true);
      expect(await users.get('dr.house')).toBeUndefined();
      expect(await users.remove('dr.house')).toBe(false);
    });

    it("keeps oidc-provider's records until they expire, are consumed, destroyed or their grant revoked", async () => {
      let t = 1_000_000;
      const adapter = storeAdapterFactory(store, new ClientStore(store), () => t);
      const codes = adapter('AuthorizationCode');
      const sessions = adapter('Session');
      await codes.upsert('c1', { grantId: 'g1', clientId: 'app', accountId: 'u' }, 60);
      await codes.upsert('c2', { grantId: 'g2', clientId: 'app' }, 60);
      await sessions.upsert('s1', { uid: 'uid-1', accountId: 'u' }, 3600);
      await adapter('Interaction').upsert('i1', { uid: 'uid-1', userCode: 'UC-1' }, 600);
      expect(await codes.find('c1')).toMatchObject({ grantId: 'g1', accountId: 'u' });
      expect(await sessions.findByUid('uid-1')).toMatchObject({ accountId: 'u' });
      expect(await adapter('Interaction').findByUserCode('UC-1')).toMatchObject({ uid: 'uid-1' });
      expect(await codes.findByUid('uid-1')).toBeUndefined(); // per model
      await codes.consume('c1');
      expect((await codes.find('c1'))?.consumed).toBe(Math.floor(t / 1000));
      await codes.upsert('c1', { grantId: 'g1', clientId: 'app', accountId: 'v' }, 60);
      expect(await codes.find('c1')).toMatchObject({ accountId: 'v' });
      await codes.revokeByGrantId('g1');
      expect(await codes.find('c1')).toBeUndefined();
      expect(await codes.find('c2')).toBeDefined();
      await codes.destroy('c2');
      expect(await codes.find('c2')).toBeUndefined();
      t += 601_000; // the interaction expired, the session not
      expect(await adapter('Interaction').findByUserCode('UC-1')).toBeUndefined();
      expect(await sessions.find('s1')).toBeDefined();
      await store.sweepState(t);
      expect(await store.findState('Interaction', 'id', 'i1')).toBeUndefined();
      expect(await store.findState('Session', 'id', 's1')).toBeDefined();
    });

    it('removes the oidc-provider records of a client removed', async () => {
      const clients = new ClientStore(store);
      await clients.add({ clientId: 'gone', scope: 'system/*.rs', jwks: { keys: [EC_KEY] } });
      const adapter = storeAdapterFactory(store, clients);
      await adapter('Grant').upsert('g-gone', { clientId: 'gone', accountId: 'u' }, 600);
      await adapter('Grant').upsert('g-kept', { clientId: 'kept', accountId: 'u' }, 600);
      expect(await adapter('Client').find('gone')).toMatchObject({ client_id: 'gone' });
      await clients.remove('gone');
      expect(await adapter('Client').find('gone')).toBeUndefined();
      expect(await adapter('Grant').find('g-gone')).toBeUndefined();
      expect(await adapter('Grant').find('g-kept')).toBeDefined();
    });

    it('creates the server keys once: every later or concurrent caller gets the stored ones', async () => {
      let made = 0;
      const create = async () => Buffer.from(`keys-${++made}`);
      const first = await store.serverKeys(create);
      expect(first.toString()).toBe('keys-1');
      const again = await Promise.all([store.serverKeys(create), (await opened.another()).serverKeys(create)]);
      expect(again.map((b) => b.toString())).toEqual(['keys-1', 'keys-1']);
    });

    it('shows what one instance registers to another sharing the data, at once', async () => {
      const other = await opened.another();
      await new ClientStore(store).add({ clientId: 'shared', scope: 'system/*.rs', jwks: { keys: [EC_KEY] } });
      await new UserStore(other).add({ username: 'nina', password: 'long enough words', role: 'clinician' });
      expect((await new ClientStore(other).get('shared'))?.scope).toBe('system/*.rs');
      expect(await new UserStore(store).authenticate('nina', 'long enough words')).toMatchObject({ role: 'clinician' });
      await storeAdapterFactory(store, new ClientStore(store))('Session').upsert('s', { accountId: 'nina' }, 60);
      expect(await storeAdapterFactory(other, new ClientStore(other))('Session').find('s')).toMatchObject({
        accountId: 'nina',
      });
    });
  });
}
