import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Thrown when the audit key cannot be used: the message says what to do. */
export class AuditKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditKeyError';
  }
}

/** `<data-dir>.audit-key`, beside the data directory (not in it). */
export function defaultAuditKeyFile(dataDir: string): string {
  return `${resolve(dataDir).replace(/[\\/]+$/, '')}.audit-key`;
}

/** Reads the key (64 hex characters = 32 bytes). */
export function readAuditKey(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AuditKeyError(
      code === 'ENOENT'
        ? `audit key file ${file} does not exist: the audit chain cannot be checked without the key it was written with (give it with --audit-key-file)`
        : `audit key file ${file} cannot be read: ${(e as Error).message}`,
    );
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new AuditKeyError(`audit key file ${file} does not hold a 256-bit hex key`);
  return Buffer.from(text, 'hex');
}

/** Creates a new random key with mode 0600; refuses to overwrite an existing file. */
export function createAuditKey(file: string): Buffer {
  const key = randomBytes(32);
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    throw new AuditKeyError(`audit key file ${file} cannot be created: ${(e as Error).message}`);
  }
  try {
    writeSync(fd, `${key.toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir); // the new name survives a crash, like the records it protects
  } finally {
    closeSync(dir);
  }
  return key;
}

/**
 * Names the key without revealing it (HMAC of a constant): stored with a shared chain
 * (PostgreSQL) so that an instance started with another key is refused before it appends.
 */
export function auditKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('imaging-bridge audit key id v1').digest('hex');
}
