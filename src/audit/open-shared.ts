import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import { isLoopback } from '../core/loopback.js';
import type { AuditAnchorConfig } from './anchor-config.js';
import { CheckpointAnchor } from './anchor.js';
import type { AuditLog } from './audit-log.js';
import { AuditKeyError, createAuditKey, readAuditKey } from './key-file.js';
import { maxMessageBytesOf, type AuditSyslogConfig } from './syslog-config.js';
import { checkpointSyslogLine, syslogMessages } from './syslog-format.js';
import { SyslogSender } from './syslog-sender.js';

/** What both chains (SQLite, PostgreSQL) do at open: the key, the syslog copy, the anchors. */

/** Warns when the key is where whoever edits the records can read it. */
export function warnIfKeyInside(dataDir: string, keyFile: string, logger: Pick<Logger, 'warn'>): void {
  const inside = relative(resolve(dataDir), resolve(keyFile));
  if (!inside.startsWith('..') && !isAbsolute(inside))
    logger.warn(
      { keyFile },
      'the audit key file is inside the data directory: whoever can edit the records can recompute the chain',
    );
}

/** The key from `keyFile`; created (0600) when absent and the chain is empty, refused when the chain holds records. */
export function loadOrCreateKey(keyFile: string, chainIsEmpty: boolean, logger: Pick<Logger, 'info'>): Buffer {
  if (existsSync(keyFile)) return readAuditKey(keyFile);
  if (!chainIsEmpty)
    throw new AuditKeyError(
      `audit key file ${keyFile} is missing but the audit log holds records: restore the key (or give it with --audit-key-file); a new key would break the chain`,
    );
  const key = createAuditKey(keyFile);
  logger.info({ keyFile }, 'audit key created');
  return key;
}

export interface ExportOptions {
  syslog?: AuditSyslogConfig;
  anchor?: AuditAnchorConfig;
  logger: Pick<Logger, 'error' | 'warn'>;
}

/** Starts the live syslog copy of every commit and the checkpoint anchors, if configured. */
export function startExports(
  o: ExportOptions,
  log: AuditLog,
  checkpointFile: string,
  key: Buffer,
): { syslog?: SyslogSender; anchor?: CheckpointAnchor } {
  const syslog = o.syslog ? new SyslogSender(o.syslog, o.logger) : undefined;
  const origin = { hostname: o.syslog?.hostname ?? hostname(), procId: process.pid };
  if (syslog && o.syslog) {
    const max = maxMessageBytesOf(o.syslog);
    log.onCommit((records) => records.forEach((r) => syslogMessages(r, origin, max).forEach((m) => syslog.send(m))));
    // The records hold search parameters (BALP entity.query): PHI on the wire unless encrypted.
    if (o.syslog.protocol !== 'tls' && !isLoopback(o.syslog.host))
      o.logger.warn(
        { host: o.syslog.host, protocol: o.syslog.protocol },
        'audit syslog export in clear text: the records carry search parameters (names, birth dates); use "protocol": "tls"',
      );
  }
  const anchor = o.anchor
    ? new CheckpointAnchor(
        o.anchor,
        checkpointFile,
        key,
        { syslog: syslog ? (entry) => syslog.send(checkpointSyslogLine(entry, origin)) : undefined },
        o.logger,
      )
    : undefined;
  anchor?.start();
  return { ...(syslog ? { syslog } : {}), ...(anchor ? { anchor } : {}) };
}
