export type { AuditEvent, AuditSink, ChainRecord, VerifyResult } from './types.js';
export { openAuditLog, AUDIT_DB_FILE, type OpenAuditLogOptions, type OpenedAuditLog } from './open.js';
export { backgroundServiceThread } from './projection-thread.js';
export { openPostgresAuditLog, type OpenPostgresAuditLogOptions } from './open-postgres.js';
export { AuditKeyError, defaultAuditKeyFile } from './key-file.js';
export { parseAuditSyslogConfig, type AuditSyslogConfig } from './syslog-config.js';
export { parseAuditAnchorConfig, type AuditAnchorConfig } from './anchor-config.js';
export { buildAuditEvents, recordAccess } from './balp/build.js';
export type * from './balp/access-record.js';
