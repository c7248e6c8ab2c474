import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { openDataDir } from '../private-files.js';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { SqliteKeys } from '../sqlite-open.js';
import { ObjectCipher, SealedObjectError } from './chunked-cipher.js';
import { Keyring, envKeyProvider, fileKeyProvider, keyIdText, type KeyProvider } from './keys.js';

/**
 * How one data directory is stored: plain, or encrypted at rest (instance bytes sealed by
 * `objects`, every SQLite database keyed with `sqlite`). Opened once per process from the
 * configuration and passed to whatever opens a store.
 */
export interface AtRest {
  readonly objects: ObjectCipher | undefined;
  readonly sqlite: SqliteKeys;
  /** For the start-up log: "plain" or "encrypted (key id …, from …)". */
  readonly description: string;
}

/** The part of the configuration that says where the data is and which key opens it (config/schema.ts). */
export interface AtRestConfig {
  dataDir: string;
  encryptionKeyFile?: string;
  encryptionKey?: string;
}

export const PLAIN: AtRest = { objects: undefined, sqlite: undefined, description: 'plain (not encrypted at rest)' };

/** `<data-dir>/encryption.json`: the data directory is encrypted, and a sealed value to check a key against. */
export const MARKER_FILE = 'encryption.json';
const CHECK_TEXT = 'imaging-bridge at-rest key check';
/** What a data directory with content has (any of these): it was created plain if no marker is there. */
const CONTENT = ['index.sqlite', 'fhir.sqlite', 'audit.sqlite', 'security.sqlite', 'packs', 'blobs'];

interface Marker {
  format: 'imaging-bridge-at-rest-1';
  objects: 'aes-256-gcm-64k-chunks';
  sqlite: 'sqlcipher';
  /** A sealed constant, under the primary key of the last rotation. */
  check: string;
}

/** The key source the configuration names, if any. */
export function keyProviderOf(config: AtRestConfig): KeyProvider | undefined {
  if (config.encryptionKeyFile !== undefined) return fileKeyProvider(config.encryptionKeyFile, config.dataDir);
  if (config.encryptionKey !== undefined) return envKeyProvider(config.encryptionKey);
  return undefined;
}

export function readMarker(dataDir: string): Marker | undefined {
  const file = join(dataDir, MARKER_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Marker;
}

export function writeMarker(dataDir: string, cipher: ObjectCipher): void {
  const marker: Marker = {
    format: 'imaging-bridge-at-rest-1',
    objects: 'aes-256-gcm-64k-chunks',
    sqlite: 'sqlcipher',
    check: cipher.seal(Buffer.from(CHECK_TEXT)).toString('base64'),
  };
  writeFileSync(join(dataDir, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
}

export const hasContent = (dataDir: string) => CONTENT.some((name) => existsSync(join(dataDir, name)));

/** The at-rest state for `keys` without checking the data directory (rotation builds its own). */
export function atRestWith(keyring: Keyring, from: string): AtRest {
  return {
    objects: new ObjectCipher(keyring),
    sqlite: keyring.all().map((k) => k.bytes),
    description: `encrypted at rest (AES-256-GCM objects, SQLCipher databases; primary key id ${keyIdText(keyring.primary.id)} from ${from})`,
  };
}

/**
 * Matches the configured keys with the data directory: a directory created encrypted refuses to
 * open without a key that opens it, one created plain refuses to open with a key until
 * `imaging-bridge encryption rotate` has encrypted it. A new directory is created encrypted
 * when a key is given.
 */
export function openAtRest(dataDir: string, provider: KeyProvider | undefined): AtRest {
  const marker = readMarker(dataDir);
  if (!provider) {
    if (marker) {
      throw new ConfigError(
        `data directory ${dataDir} is encrypted at rest: give its key with --encryption-key-file FILE or IMAGING_BRIDGE_ENCRYPTION_KEY`,
      );
    }
    return PLAIN;
  }
  const keyring = new Keyring(provider.keys());
  const atRest = atRestWith(keyring, provider.description);
  if (!marker) {
    if (hasContent(dataDir)) {
      throw new ConfigError(
        `data directory ${dataDir} was created without encryption and an encryption key is configured (${provider.description}): ` +
          `stop the server and run 'imaging-bridge encryption rotate --data-dir ${dataDir}' with that key to encrypt it, or start without the key`,
      );
    }
    openDataDir(dataDir);
    writeMarker(dataDir, atRest.objects!);
    return atRest;
  }
  try {
    atRest.objects!.open(Buffer.from(marker.check, 'base64'));
  } catch (e) {
    if (!(e instanceof SealedObjectError)) throw e;
    const want = ObjectCipher.keyIdOfHeader(Buffer.from(marker.check, 'base64'));
    throw new ConfigError(
      `data directory ${dataDir} is encrypted with key id ${want ?? '?'}, which ${provider.description} does not hold (it has ${keyring
        .all()
        .map((k) => keyIdText(k.id))
        .join(', ')})`,
    );
  }
  return atRest;
}

/** The at-rest state a command opens its data directory with (key source from the configuration). */
export function openAtRestOf(config: AtRestConfig): AtRest {
  return openAtRest(config.dataDir, keyProviderOf(config));
}
