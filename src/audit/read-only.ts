import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChainStore } from './chain-store.js';
import type { SqliteKeys } from '../core/sqlite-open.js';
import { checkpointFileOf } from './checkpoint.js';
import { AuditKeyError, defaultAuditKeyFile, readAuditKey } from './key-file.js';
import { AUDIT_DB_FILE } from './open.js';
import { readAnchorFile } from './anchor.js';
import { verifyChain, type VerifyOptions } from './verify.js';
import type { ChainRecord, VerifyResult } from './types.js';

/** For the CLI: opens an existing audit log read-only, without creating or changing anything. */
export function openExistingChain(dataDir: string, keys?: SqliteKeys): ChainStore {
  const file = join(dataDir, AUDIT_DB_FILE);
  if (!existsSync(file)) throw new AuditKeyError(`no audit log at ${file}`);
  return new ChainStore(file, { readonly: true, keys });
}

/**
 * `audit verify`: the whole chain with the key from `keyFile` (default `<dataDir>.audit-key`),
 * its end against the signed checkpoint `<keyFile>.checkpoint`, and against the external
 * anchors of `anchorFile` when given (anchor.ts).
 */
export function verifyAuditLog(
  dataDir: string,
  keyFile = defaultAuditKeyFile(dataDir),
  anchorFile?: string,
  sqliteKeys?: SqliteKeys,
): VerifyResult {
  const key = readAuditKey(keyFile);
  let anchors: VerifyOptions['anchors'];
  if (anchorFile !== undefined) {
    try {
      anchors = { source: anchorFile, checkpoints: readAnchorFile(anchorFile, key) };
    } catch (e) {
      throw new AuditKeyError(`anchor file ${anchorFile}: ${(e as Error).message}`);
    }
    if (anchors.checkpoints.length === 0)
      throw new AuditKeyError(`anchor file ${anchorFile} holds no anchored checkpoint`);
  }
  const store = openExistingChain(dataDir, sqliteKeys);
  try {
    return verifyChain(store, key, checkpointFileOf(keyFile), { anchors });
  } finally {
    store.close();
  }
}

/** `audit export`: the records after `afterSeq`, in chain order. */
export function* readAuditRecords(dataDir: string, afterSeq = 0, sqliteKeys?: SqliteKeys): Generator<ChainRecord> {
  const store = openExistingChain(dataDir, sqliteKeys);
  try {
    yield* store.iterate(afterSeq);
  } finally {
    store.close();
  }
}
