import type { SqliteKeys } from '../core/sqlite-open.js';
import { openDataDir } from '../core/private-files.js';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { FhirRepository } from '../fhir/repository/repository.js';
import { loadR4, type R4Definitions } from '../fhir/definitions/load-r4.js';
import { AuditLog } from './audit-log.js';
import { ChainStore } from './chain-store.js';
import { ChainWriter } from './chain-writer.js';
import { checkpointFileOf } from './checkpoint.js';
import { FHIR_PROJECTION_TARGET, FhirProjection, type ProjectionOptions } from './fhir-projection.js';
import type { ServiceThread } from '../core/service-thread.js';
import { ProjectionThread } from './projection-thread.js';
import { defaultAuditKeyFile } from './key-file.js';
import { loadOrCreateKey, startExports, warnIfKeyInside } from './open-shared.js';
import { SqliteAuditChainStore } from './chain-store-sqlite.js';
import type { AuditAnchorConfig } from './anchor-config.js';
import type { AuditSyslogConfig } from './syslog-config.js';
import type { AuditSink, VerifyResult } from './types.js';
import { verifyChain } from './verify.js';

export const AUDIT_DB_FILE = 'audit.sqlite';

/** The R4 search parameters that apply to AuditEvent (the projection thread's whole registry). */
export function auditEventDefinitions(): Pick<R4Definitions, 'resourceTypes' | 'searchParameters'> {
  const { searchParameters } = loadR4();
  return {
    resourceTypes: ['AuditEvent'],
    searchParameters: searchParameters.filter((sp) =>
      sp.base.some((b) => b === 'AuditEvent' || b === 'Resource' || b === 'DomainResource'),
    ),
  };
}

export interface OpenAuditLogOptions {
  dataDir: string;
  /**
   * Default `<dataDir>.audit-key`; created (0600) when absent and the chain is empty. The signed
   * checkpoint (against truncation) is kept beside it, in `<keyFile>.checkpoint`.
   */
  keyFile?: string;
  /** The embedded FHIR repository: records are copied there for /fhir/AuditEvent searches. */
  repository?: FhirRepository;
  /**
   * The embedded FHIR server's SQLite file: the copies are written there from a thread of their
   * own (projection-worker.ts), off the event loop, instead of through `repository`.
   */
  projectionThread?: {
    fhirFile: string;
    baseUrl: string;
    fhirKeys?: SqliteKeys;
    idleMs?: number;
    /** The buffer of the server connection's WriteWaiters (fhir/sqlite/write-waiters.ts): its writes go first. */
    writeWaiters?: SharedArrayBuffer;
    /** The thread to run in, shared with other background services (`backgroundServiceThread()`); else one of its own. */
    host?: ServiceThread;
  };
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
  /** Live RFC 5424 copy (`parseAuditSyslogConfig(config.sections.security)`). */
  syslog?: AuditSyslogConfig;
  /** Copies of the signed checkpoint kept off this host (`parseAuditAnchorConfig(config.sections.security)`). */
  anchor?: AuditAnchorConfig;
  projection?: ProjectionOptions;
  /** audit.sqlite is encrypted at rest with one of these keys (every connection, the writer thread's too). */
  sqliteKeys?: SqliteKeys;
  /**
   * How long the writer thread's commit waits for another process's lock on audit.sqlite before
   * the records fail (and what they guard is refused); default 5 s (ChainStore's).
   */
  busyTimeoutMs?: number;
}

export interface OpenedAuditLog {
  sink: AuditSink;
  /** Resolves (to the number of records copied) when the start-up re-projection is done. */
  caughtUp: Promise<number>;
  /** Checks the whole chain with the key, and its end against the signed checkpoint (read-only connection). */
  verify(): Promise<VerifyResult>;
  /** Copies the current checkpoint to the anchors now (also done every intervalSeconds and at close). */
  anchorNow(): Promise<void>;
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
  warnIfKeyInside(o.dataDir, keyFile, o.logger);
  const file = join(o.dataDir, AUDIT_DB_FILE);
  // Created here (schema, WAL), then only read on this thread: the writer thread appends.
  const keys = o.sqliteKeys;
  const init = new ChainStore(file, { keys });
  let key: Buffer;
  try {
    key = loadOrCreateKey(keyFile, init.count() === 0, o.logger);
  } finally {
    init.close();
  }
  const checkpointFile = checkpointFileOf(keyFile);
  const reader = new ChainStore(file, { readonly: true, keys });
  let writer: ChainWriter;
  try {
    writer = new ChainWriter(
      {
        file,
        key,
        checkpointFile,
        ...(keys ? { sqliteKeys: keys } : {}),
        ...(o.busyTimeoutMs !== undefined ? { busyTimeoutMs: o.busyTimeoutMs } : {}),
      },
      o.logger,
    );
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
  const thread = o.projectionThread
    ? new ProjectionThread(
        {
          auditFile: file,
          ...(keys ? { auditKeys: keys } : {}),
          fhirFile: o.projectionThread.fhirFile,
          ...(o.projectionThread.fhirKeys ? { fhirKeys: o.projectionThread.fhirKeys } : {}),
          ...(o.projectionThread.writeWaiters ? { writeWaiters: o.projectionThread.writeWaiters } : {}),
          baseUrl: o.projectionThread.baseUrl,
          definitions: auditEventDefinitions(),
          ...(o.projection ? { options: o.projection } : {}),
        },
        (target, upto) => writer.setProjectedUpTo(target, upto),
        o.logger,
        {
          // Started now only to catch up; otherwise by the first record (docs/ingest-memory.md).
          behind: reader.projectedUpTo(FHIR_PROJECTION_TARGET) < (reader.head()?.seq ?? 0),
          ...(o.projectionThread.idleMs !== undefined ? { idleMs: o.projectionThread.idleMs } : {}),
          ...(o.projectionThread.host ? { host: o.projectionThread.host } : {}),
        },
      )
    : undefined;
  const projection =
    !thread && o.repository ? new FhirProjection(projectionStore, o.repository, o.logger, o.projection) : undefined;
  const copies = thread ?? projection;
  if (copies) log.onCommit((records) => copies.add(records));
  const { syslog, anchor } = startExports(o, log, checkpointFile, key);
  const caughtUp = thread
    ? thread.caughtUp
    : projection
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
    // Longer wait than the CLI's: right after opening, the writer thread may still be starting.
    verify: () => verifyChain(new SqliteAuditChainStore(reader), key, checkpointFile, { staleWaitMs: 10_000 }),
    anchorNow: () => anchor?.anchorNow() ?? Promise.resolve(),
    close: () =>
      (closing ??= (async () => {
        try {
          await log.drain();
          await caughtUp;
          await projection?.close();
          await thread?.close();
        } finally {
          await writer.close(); // after the projection: its last watermark goes through the thread
          reader.close();
          await anchor?.close(); // the final checkpoint, now that the writer has moved it
          await syslog?.close();
        }
      })()),
  };
}
