import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectCipher } from '../../core/encryption/chunked-cipher.js';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { privateFile } from '../../core/private-files.js';

/**
 * The authorization server's secrets, generated once and kept in `<data-dir>/oauth-keys.json`
 * (mode 0600): an EC P-384 key (ES384: access tokens), an RSA key (RS256 id_tokens, the OpenID
 * default; RS384 on request) and the cookie signing keys. Restarting keeps them, so tokens and
 * sessions survive a restart; deleting the file rotates everything.
 */
export interface ServerKeys {
  /** Private JWKs with `kid`, `alg` and `use`. */
  signing: JWK[];
  cookieKeys: string[];
}

export const KEYS_FILE = 'oauth-keys.json';

/** `cipher`: the data directory is encrypted at rest, and so is the file (sealed JSON). */
export async function loadOrCreateServerKeys(dataDir: string, cipher?: ObjectCipher): Promise<ServerKeys> {
  const file = join(dataDir, KEYS_FILE);
  const parse = (bytes: Buffer) => JSON.parse((cipher ? cipher.open(bytes) : bytes).toString('utf8')) as ServerKeys;
  if (existsSync(file)) {
    privateFile(file); // an installation from before private data directories
    return parse(readFileSync(file));
  }
  const keys: ServerKeys = {
    signing: [await privateJwk('ES384', { crv: 'P-384' }), await privateJwk('RS256', { modulusLength: 2048 })],
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
  try {
    const text = Buffer.from(JSON.stringify(keys, null, 2));
    writeFileSync(file, cipher ? cipher.seal(text) : text, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return parse(readFileSync(file));
    throw e;
  }
  chmodSync(file, 0o600);
  return keys;
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
