import { hostname } from 'node:os';
import { AuditKeyError } from '../audit/key-file.js';
import { readAuditRecords, verifyAuditLog } from '../audit/read-only.js';
import { syslogLine } from '../audit/syslog-format.js';
import { ConfigError } from '../core/errors.js';
import { openAtRestOf } from '../core/encryption/at-rest.js';
import { parseCommandLine } from './options.js';
import type { Config } from '../config/schema.js';

const USAGE = `imaging-bridge audit verify [--data-dir DIR | --database postgres://…] [--audit-key-file F] [--anchor FILE]   check the hash chain with its key, against F.checkpoint, and against the checkpoints anchored in FILE
imaging-bridge audit export [--data-dir DIR | --database postgres://…] --format syslog [--after-seq N]   RFC 5424 lines on stdout`;

/** Where the chain is: the database given with --database (serve puts it there), else the data folder. */
const chainOf = (config: Config) =>
  config.database !== undefined ? { database: config.database } : { sqliteKeys: openAtRestOf(config).sqlite };

/** The audit chain from the data folder: verify it with the key kept outside, or export it. */
export async function runAudit(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.length === 0) {
    console.log(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  const { config, values, positionals } = parseCommandLine(args, env, {
    format: { type: 'string' },
    'after-seq': { type: 'string' },
    anchor: { type: 'string' },
  });
  try {
    switch (positionals[0]) {
      case 'verify': {
        if (values.anchor !== undefined && (typeof values.anchor !== 'string' || !values.anchor))
          throw new ConfigError('audit verify: --anchor needs a file');
        const result = await verifyAuditLog(
          config.dataDir,
          config.auditKeyFile,
          values.anchor as string | undefined,
          chainOf(config),
        );
        if (result.ok) {
          console.log(
            `audit chain OK: ${result.records} record${result.records === 1 ? '' : 's'} checked${result.head ? `, head seq ${result.head.seq} hash ${result.head.hash}` : ''}${result.checkpoint ? `, checkpoint seq ${result.checkpoint.seq} reached` : ''}${result.anchor ? `, external anchor seq ${result.anchor.seq} (${result.anchor.source}) reached` : ''}`,
          );
          return 0;
        }
        console.log(
          `audit chain BROKEN at seq ${result.brokenSeq}: ${result.reason} (${result.records} record${result.records === 1 ? '' : 's'} before it verified)`,
        );
        return 1;
      }
      case 'export': {
        if (values.format !== 'syslog')
          throw new ConfigError(
            `audit export: --format syslog is the format supported (got ${String(values.format ?? 'none')})`,
          );
        const after = values['after-seq'] === undefined ? 0 : Number(values['after-seq']);
        if (!Number.isInteger(after) || after < 0)
          throw new ConfigError('audit export: --after-seq must be a whole number');
        const origin = { hostname: hostname(), procId: process.pid };
        for await (const r of readAuditRecords(config.dataDir, after, chainOf(config))) {
          if (!process.stdout.write(`${syslogLine(r, origin)}\n`))
            await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
        return 0;
      }
      default:
        throw new ConfigError(`unknown audit action "${positionals[0]}"\n\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof AuditKeyError) {
      console.error(`imaging-bridge audit: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
