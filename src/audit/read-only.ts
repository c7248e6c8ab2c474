import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SqliteKeys } from '../core/sqlite-open.js';
import { readAnchorFile } from './anchor.js';
import type { AuditChainStore } from './chain-store-contract.js';
import { PgChainStore } from './chain-store-pg.js';
import { SqliteAuditChainStore } from './chain-store-sqlite.js';
import { checkpointFileOf } from './checkpoint.js';
import { AuditKeyError, auditKeyId, defaultAuditKeyFile, readAuditKey } from './key-file.js';
import { AUDIT_DB_FILE } from './open.js';
import { verifyChain, type VerifyOptions } from './verify.js';
import type { ChainRecord, VerifyResult } from './types.js';

export interface ExistingChainOptions {
  /** audit.sqlite is encrypted at rest with one of these keys. */
  sqliteKeys?: SqliteKeys;
  /** postgres://…: the chain is the one in that database (schema `audit`), not the data folder's. */
  database?: string;
}

/** For the CLI: opens an existing audit log read-only, without creating or changing anything. */
export async function openExistingChain(dataDir: string, options: ExistingChainOptions = {}): Promise<AuditChainStore> {
  if (options.database !== undefined)
    return PgChainStore.open(options.database, { readonly: true }).catch((e: unknown) => {
      throw new AuditKeyError(`audit log in PostgreSQL: ${(e as Error).message}`);
    });
  const file = join(dataDir, AUDIT_DB_FILE);
  if (!existsSync(file)) throw new AuditKeyError(`no audit log at ${file}`);
  return SqliteAuditChainStore.open(file, { readonly: true, keys: options.sqliteKeys });
}

/**
 * `audit verify`: the whole chain with the key from `keyFile` (default `<dataDir>.audit-key`),
 * its end against the signed checkpoint `<keyFile>.checkpoint`, and against the external
 * anchors of `anchorFile` when given (anchor.ts). On PostgreSQL the chain is shared by every
 * instance: this host's checkpoint may trail the head (verify.ts, checkpointMayTrail).
 */
export async function verifyAuditLog(
  dataDir: string,
  keyFile = defaultAuditKeyFile(dataDir),
  anchorFile?: string,
  options: ExistingChainOptions = {},
): Promise<VerifyResult> {
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
  const store = await openExistingChain(dataDir, options);
  try {
    if (store instanceof PgChainStore) {
      const recorded = await store.keyId();
      if (recorded !== undefined && recorded !== auditKeyId(key))
        throw new AuditKeyError(
          `audit key file ${keyFile} holds another key than the one the chain in PostgreSQL is hashed with`,
        );
    }
    return await verifyChain(store, key, checkpointFileOf(keyFile), {
      anchors,
      checkpointMayTrail: store instanceof PgChainStore,
    });
  } finally {
    await store.close();
  }
}

/** `audit export`: the records after `afterSeq`, in chain order. */
export async function* readAuditRecords(
  dataDir: string,
  afterSeq = 0,
  options: ExistingChainOptions = {},
): AsyncGenerator<ChainRecord> {
  const store = await openExistingChain(dataDir, options);
  try {
    yield* store.iterate(afterSeq);
  } finally {
    await store.close();
  }
}
