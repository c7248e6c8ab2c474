import { randomBytes, randomUUID } from 'node:crypto';
import type { ObjectCipher } from '../../core/encryption/chunked-cipher.js';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SecurityStore } from './security-store.js';

/**
 * The authorization server's secrets, generated once and kept by the SecurityStore (embedded:
 * `<data-dir>/oauth-keys.json`, mode 0600; PostgreSQL: one row every instance shares): an EC P-384 key (ES384: access tokens), an RSA key (RS256 id_tokens, the OpenID
 * default; RS384 on request) and the cookie signing keys. Restarting keeps them, so tokens and
 * sessions survive a restart; deleting the file rotates everything.
 */
export interface ServerKeys {
  /** Private JWKs with `kid`, `alg` and `use`. */
  signing: JWK[];
  cookieKeys: string[];
}

/** `cipher`: the data directory is encrypted at rest, and so are the keys (sealed JSON). */
export async function loadOrCreateServerKeys(store: SecurityStore, cipher?: ObjectCipher): Promise<ServerKeys> {
  const bytes = await store.serverKeys(async () => {
    const keys: ServerKeys = {
      signing: [await privateJwk('ES384', { crv: 'P-384' }), await privateJwk('RS256', { modulusLength: 2048 })],
      cookieKeys: [randomBytes(32).toString('base64url')],
    };
    const text = Buffer.from(JSON.stringify(keys, null, 2));
    return cipher ? cipher.seal(text) : text;
  });
  return JSON.parse((cipher ? cipher.open(bytes) : bytes).toString('utf8')) as ServerKeys;
}

/** The public half of the signing keys, as served at jwks_uri. */
export function publicJwks(keys: ServerKeys): { keys: JWK[] } {
  return {
    keys: keys.signing.map(({ kty, crv, x, y, n, e, kid, alg, use }) => ({ kty, crv, x, y, n, e, kid, alg, use })),
  };
}

async function privateJwk(alg: 'ES384' | 'RS256', options: { crv?: string; modulusLength?: number }): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { ...options, extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg, use: 'sig' };
}
