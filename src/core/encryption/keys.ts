import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { relative, resolve, isAbsolute } from 'node:path';
import { ConfigError } from '../errors.js';

/** One 256-bit data key and its id (derived from the key, stored with every object it seals). */
export interface EncryptionKey {
  /** 8 bytes: the first bytes of SHA-256("imaging-bridge key id" ‖ key). Not secret. */
  readonly id: Buffer;
  readonly bytes: Buffer;
}

/**
 * The keys of a data directory: the primary one seals everything new; the others (older keys
 * after a rotation) only open what they sealed. A key-management service plugs in here: an
 * implementation that unwraps data keys with the KMS at start-up (see docs/security.md).
 */
export interface KeyProvider {
  /** Where the keys come from, for messages (never the keys). */
  readonly description: string;
  /** Primary first. Called once at start-up. */
  keys(): EncryptionKey[];
}

export const keyIdOf = (bytes: Buffer): Buffer =>
  createHash('sha256').update('imaging-bridge key id').update(bytes).digest().subarray(0, 8);

export const keyIdText = (id: Buffer) => id.toString('hex');

/** A 256-bit key written as 64 hex digits or base64/base64url of 32 bytes. */
export function parseKey(text: string, where: string): EncryptionKey {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t)
    ? Buffer.from(t, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(t)
      ? Buffer.from(t, 'base64')
      : undefined;
  if (bytes?.length !== 32)
    throw new ConfigError(`${where}: an encryption key is 32 bytes written as 64 hex digits or base64`);
  return { id: keyIdOf(bytes), bytes };
}

/** Keys one a line (or comma-separated), primary first; '#' starts a comment line. */
export function parseKeyList(text: string, where: string): EncryptionKey[] {
  const lines = text
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new ConfigError(`${where}: no key found`);
  return lines.map((l, i) => parseKey(l, `${where} (key ${i + 1})`));
}

/**
 * `--encryption-key-file F`: refused when F is inside the data directory (whoever copies the
 * data directory would copy its key) or readable by group or others.
 */
export function fileKeyProvider(file: string, dataDir: string): KeyProvider {
  const inside = relative(resolve(dataDir), resolve(file));
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) {
    throw new ConfigError(
      `--encryption-key-file ${file} is inside the data directory ${dataDir}: keep the key elsewhere`,
    );
  }
  return {
    description: `key file ${file}`,
    keys: () => {
      let st;
      try {
        st = statSync(file);
      } catch (e) {
        throw new ConfigError(`--encryption-key-file: cannot read ${file}: ${(e as Error).message}`);
      }
      if ((st.mode & 0o077) !== 0)
        throw new ConfigError(
          `--encryption-key-file ${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
        );
      return parseKeyList(readFileSync(file, 'utf8'), `--encryption-key-file ${file}`);
    },
  };
}

/** IMAGING_BRIDGE_ENCRYPTION_KEY: one key, or several comma-separated (primary first). */
export function envKeyProvider(value: string): KeyProvider {
  return {
    description: 'IMAGING_BRIDGE_ENCRYPTION_KEY',
    keys: () => parseKeyList(value, 'IMAGING_BRIDGE_ENCRYPTION_KEY'),
  };
}

/** The keys in use: the primary one seals, any of them opens what it sealed. */
export class Keyring {
  readonly primary: EncryptionKey;
  private readonly byId = new Map<string, EncryptionKey>();

  constructor(keys: EncryptionKey[]) {
    if (keys.length === 0) throw new Error('a keyring needs at least one key');
    this.primary = keys[0]!;
    for (const k of keys) if (!this.byId.has(keyIdText(k.id))) this.byId.set(keyIdText(k.id), k);
  }

  get(id: Buffer): EncryptionKey | undefined {
    return this.byId.get(keyIdText(id));
  }

  all(): EncryptionKey[] {
    return [...this.byId.values()];
  }
}
