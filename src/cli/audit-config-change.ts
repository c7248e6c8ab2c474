import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { openAuditLog, recordAccess, type ConfigChange } from '../audit/index.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../core/logger.js';
import { openAtRestOf } from '../core/encryption/at-rest.js';

/**
 * Records a configuration change made from the command line (client or user registered or
 * removed) in the audit chain of the data directory — the same chain the server writes, safe
 * from a second process. The running server copies it into /fhir/AuditEvent at its next start.
 */
export async function auditConfigChange(config: Config, what: ConfigChange, target: string): Promise<void> {
  const log = openAuditLog({
    dataDir: config.dataDir,
    keyFile: config.auditKeyFile,
    logger: createLogger('warn'),
    sqliteKeys: openAtRestOf(config).sqlite,
  });
  try {
    await recordAccess(log.sink, {
      actor: `cli:${safeUser()}`,
      requestId: randomUUID(),
      outcome: 'success',
      recorded: new Date(),
      server: { publicUrl: config.publicUrl, aeTitle: config.dicomAet },
      access: { kind: 'config', what, target },
    });
  } finally {
    await log.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
