import type pg from 'pg';
import { Lease } from '../core/postgres/lease.js';
import { openPool } from '../core/postgres/pool.js';
import { openDataDir } from '../core/private-files.js';
import { AuditLog } from './audit-log.js';
import { PgChainStore } from './chain-store-pg.js';
import { PgChainWriter } from './chain-writer-pg.js';
import { checkpointFileOf } from './checkpoint.js';
import { CHECKPOINT_INTERVAL_MS, CheckpointMover } from './checkpoint-mover.js';
import { FhirProjection } from './fhir-projection.js';
import { AuditKeyError, auditKeyId, defaultAuditKeyFile } from './key-file.js';
import type { OpenAuditLogOptions, OpenedAuditLog } from './open.js';
import { loadOrCreateKey, startExports, warnIfKeyInside } from './open-shared.js';
import { LeasedProjection } from './projection-lease.js';
import { verifyChain } from './verify.js';

export interface OpenPostgresAuditLogOptions
  extends Omit<OpenAuditLogOptions, 'projectionThread' | 'sqliteKeys' | 'busyTimeoutMs'> {
  /** postgres://… (or a pool): the chain lives there, in `schema` (default `audit`), shared by every instance. */
  database: string | pg.Pool;
  schema?: string;
  /** The lease that elects the one instance copying the chain into FHIR (default ttl 10 s, schema `lease`). */
  projectionLease?: { ttlMs?: number; schema?: string };
  /** How often the copying instance looks for the other instances' records (default 1 s). */
  projectionPollMs?: number;
}

/**
 * The audit log of an instance whose chain is in PostgreSQL (serve --database): ONE chain for
 * every instance, appended to in process by a group-committing writer (chain-writer-pg.ts), the
 * signed checkpoint beside this instance's key file as with SQLite, the FHIR copy made by the
 * instance holding the `audit-projection` lease. Every instance must use the same key (copy the
 * key file): the chain records which key it is hashed with and refuses another.
 */
export async function openPostgresAuditLog(o: OpenPostgresAuditLogOptions): Promise<OpenedAuditLog> {
  openDataDir(o.dataDir);
  const keyFile = o.keyFile ?? defaultAuditKeyFile(o.dataDir);
  warnIfKeyInside(o.dataDir, keyFile, o.logger);
  const pool = typeof o.database === 'string' ? openPool(o.database, { max: 4 }) : o.database;
  const ownsPool = typeof o.database === 'string';
  const endPool = () => (ownsPool ? pool.end() : Promise.resolve());
  let store: PgChainStore;
  let key: Buffer;
  try {
    store = await PgChainStore.open(pool, { schema: o.schema });
    key = loadOrCreateKey(keyFile, (await store.count()) === 0, o.logger);
    if ((await store.claimKeyId(auditKeyId(key))) !== auditKeyId(key))
      throw new AuditKeyError(
        `audit key file ${keyFile} holds another key than the one the audit chain in PostgreSQL is hashed with: every instance sharing the database must use the same key (copy the key file of the instance that started the chain, or give it with --audit-key-file)`,
      );
  } catch (e) {
    await endPool();
    throw e;
  }
  const checkpointFile = checkpointFileOf(keyFile);
  const alarm = (message: string, e?: unknown) =>
    o.logger.error({ checkpointFile, ...(e === undefined ? {} : { err: e }) }, message);
  const mover = new CheckpointMover(checkpointFile, key, (seq) => store.hashAt(seq), alarm, CHECKPOINT_INTERVAL_MS);
  await mover.start(
    () => store.head(),
    (head) =>
      // A shared chain: an instance that joins it (or whose checkpoint was lost) starts its own checkpoint here.
      o.logger.warn(
        { checkpointFile, seq: head.seq },
        'audit checkpoint of this instance is absent while the shared chain holds records: a new one is written at the head',
      ),
  );
  const writer = new PgChainWriter(store, key, mover, o.logger);
  const log = new AuditLog(writer);
  let leased: LeasedProjection | undefined;
  if (o.repository) {
    const projection = new FhirProjection(
      {
        iterate: (after) => store.iterate(after),
        projectedUpTo: (target) => store.projectedUpTo(target),
        setProjectedUpTo: (target, upto) => writer.setProjectedUpTo(target, upto),
      },
      o.repository,
      o.logger,
      o.projection,
    );
    const lease = await Lease.open(pool, {
      name: `audit-projection:${store.schema}`,
      ...(o.projectionLease?.ttlMs ? { ttlMs: o.projectionLease.ttlMs } : {}),
      ...(o.projectionLease?.schema ? { schema: o.projectionLease.schema } : {}),
    });
    leased = new LeasedProjection(
      projection,
      lease,
      { soonMs: o.projection?.intervalMs ?? 200, pollMs: o.projectionPollMs ?? 1000 },
      o.logger,
    );
    log.onCommit(() => leased!.notify());
    leased.start();
  }
  const { syslog, anchor } = startExports(o, log, checkpointFile, key);
  let closing: Promise<void> | undefined;
  return {
    sink: log,
    caughtUp: leased?.caughtUp ?? Promise.resolve(0),
    verify: () => verifyChain(store, key, checkpointFile, { staleWaitMs: 10_000, checkpointMayTrail: true }),
    anchorNow: () => anchor?.anchorNow() ?? Promise.resolve(),
    close: () =>
      (closing ??= (async () => {
        try {
          await log.drain();
          await leased?.close();
        } finally {
          await writer.close();
          await anchor?.close();
          await syslog?.close();
          await store.close();
          await endPool();
        }
      })()),
  };
}
