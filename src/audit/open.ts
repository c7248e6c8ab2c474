import { existsSync } from 'node:fs';
import { openDataDir } from '../core/private-files.js';
import { hostname } from 'node:os';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import type { FhirRepository } from '../fhir/repository/repository.js';
import { AuditLog } from './audit-log.js';
import { ChainStore } from './chain-store.js';
import { ChainWriter } from './chain-writer.js';
import { checkpointFileOf } from './checkpoint.js';
import { FhirProjection, type ProjectionOptions } from './fhir-projection.js';
import { AuditKeyError, createAuditKey, defaultAuditKeyFile, readAuditKey } from './key-file.js';
import type { AuditSyslogConfig } from './syslog-config.js';
import { syslogLine } from './syslog-format.js';
import { SyslogSender } from './syslog-sender.js';
import type { AuditSink, VerifyResult } from './types.js';
import { verifyChain } from './verify.js';

export const AUDIT_DB_FILE = 'audit.sqlite';

export interface OpenAuditLogOptions {
  dataDir: string;
  /**
   * Default `<dataDir>.audit-key`; created (0600) when absent and the chain is empty. The signed
   * checkpoint (against truncation) is kept beside it, in `<keyFile>.checkpoint`.
   */
  keyFile?: string;
  /** The embedded FHIR repository: records are copied there for /fhir/AuditEvent searches. */
  repository?: FhirRepository;
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
  /** Live RFC 5424 copy (`parseAuditSyslogConfig(config.sections.security)`). */
  syslog?: AuditSyslogConfig;
  projection?: ProjectionOptions;
}

export interface OpenedAuditLog {
  sink: AuditSink;
  /** Resolves (to the number of records copied) when the start-up re-projection is done. */
  caughtUp: Promise<number>;
  /** Checks the whole chain with the key, and its end against the signed checkpoint (synchronous, read-only connection). */
  verify(): VerifyResult;
  /** Commits what waits, finishes the FHIR copies, ends the writer thread, closes the database and the syslog socket. */
  close(): Promise<void>;
}

/**
 * The audit log of one server: the chain in `<dataDir>/audit.sqlite`, its HMAC key outside the
 * data directory, the searchable copy in the FHIR repository, the optional syslog copy.
 */
export function openAuditLog(o: OpenAuditLogOptions): OpenedAuditLog {
  openDataDir(o.dataDir);
  const keyFile = o.keyFile ?? defaultAuditKeyFile(o.dataDir);
  const inside = relative(resolve(o.dataDir), resolve(keyFile));
  if (!inside.startsWith('..') && !isAbsolute(inside)) o.logger.warn({ keyFile }, 'the audit key file is inside the data directory: whoever can edit the records can recompute the chain');
  const file = join(o.dataDir, AUDIT_DB_FILE);
  // Created here (schema, WAL), then only read on this thread: the writer thread appends.
  const init = new ChainStore(file);
  let key: Buffer;
  try {
    if (existsSync(keyFile)) key = readAuditKey(keyFile);
    else if (init.count() === 0) {
      key = createAuditKey(keyFile);
      o.logger.info({ keyFile }, 'audit key created');
    } else throw new AuditKeyError(`audit key file ${keyFile} is missing but the audit log holds records: restore the key (or give it with --audit-key-file); a new key would break the chain`);
  } finally {
    init.close();
  }
  const checkpointFile = checkpointFileOf(keyFile);
  const reader = new ChainStore(file, { readonly: true });
  let writer: ChainWriter;
  try {
    writer = new ChainWriter({ file, key, checkpointFile }, o.logger);
  } catch (e) {
    reader.close();
    throw e;
  }
  const log = new AuditLog(writer);
  const projectionStore = {
    iterate: (after?: number) => reader.iterate(after),
    projectedUpTo: (target: string) => reader.projectedUpTo(target),
    setProjectedUpTo: (target: string, upto: number) => writer.setProjectedUpTo(target, upto),
  };
  const projection = o.repository ? new FhirProjection(projectionStore, o.repository, o.logger, o.projection) : undefined;
  if (projection) log.onCommit((records) => projection.add(records));
  const syslog = o.syslog ? new SyslogSender(o.syslog, o.logger) : undefined;
  if (syslog) {
    const origin = { hostname: o.syslog?.hostname ?? hostname(), procId: process.pid };
    log.onCommit((records) => records.forEach((r) => syslog.send(syslogLine(r, origin))));
  }
  const caughtUp = projection
    ? projection.catchUp().then(
        (n) => {
          if (n > 0) o.logger.warn({ copied: n }, 'audit records missing from the FHIR repository were copied again');
          return n;
        },
        (err: unknown) => {
          o.logger.error({ err }, 'audit re-projection failed');
          return 0;
        },
      )
    : Promise.resolve(0);
  let closing: Promise<void> | undefined;
  return {
    sink: log,
    caughtUp,
    verify: () => verifyChain(reader, key, checkpointFile),
    close: () =>
      (closing ??= (async () => {
        try {
          await log.drain();
          await caughtUp;
          await projection?.close();
          await syslog?.close();
        } finally {
          await writer.close(); // after the projection: its last watermark goes through the thread
          reader.close();
        }
      })()),
  };
}
