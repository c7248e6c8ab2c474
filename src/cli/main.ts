#!/usr/bin/env node
import { ConfigError } from '../core/errors.js';
import { runAssess } from './assess-command.js';
import { runAudit } from './audit-command.js';
import { runClients } from './clients-command.js';
import { runDelete } from './delete-command.js';
import { runEncryption } from './encryption-command.js';
import { runImport } from './import-command.js';
import { runMigrate } from './migrate-command.js';
import { runServe } from './serve-command.js';
import { runQuarantine } from './quarantine-command.js';
import { runReconcile } from './reconcile-command.js';
import { runSources } from './sources-command.js';
import { runSync } from './sync-command.js';
import { runUsers } from './users-command.js';

const USAGE = `imaging-bridge — DICOM / DICOMweb / FHIR bridge

Usage:
  imaging-bridge serve  [--host H] [--http-port N] [--dicom-port N] [--public-url URL] [--data-dir DIR] [--auth none|smart] [--config FILE] ...
  imaging-bridge import [--data-dir DIR] [--jobs N] [--config FILE] PATH...
  imaging-bridge delete [--data-dir DIR] --study UID [--series UID [--instance UID]] [--reason TEXT]
  imaging-bridge sources status [--data-dir DIR | --database postgres://…] [--config FILE] [--json]
  imaging-bridge sync status|replay [--study UID] [--data-dir DIR | --database postgres://…]
  imaging-bridge quarantine list|show|release|reject [STUDY_UID] [--data-dir DIR | --database postgres://…]
  imaging-bridge clients add|list|remove [--data-dir DIR] [--client-id ID --jwks-file F|--jwks-url U|--secret-file F|- --scope "SCOPES"]
  imaging-bridge users add|list|remove [--data-dir DIR] [--username U --password-file F --role ROLE]
  imaging-bridge audit verify|export [--data-dir DIR] [--audit-key-file F] [--anchor FILE] [--format syslog]
  imaging-bridge assess [--fhir URL] [--dicomweb URL] [--dimse AET@HOST:PORT] [--since 30d] [--format text|json|html|md] ...
  imaging-bridge reconcile [--dry-run|--apply] [--delete-orphans] [--since 30d] ...
  imaging-bridge migrate --from DIR --to postgres://… [--blob-store s3://…] [--resume]   (server stopped; docs/migrate.md)
  imaging-bridge encryption rotate --data-dir DIR --encryption-key-file F   (server stopped)

Every serve option can also be set by environment (IMAGING_BRIDGE_HTTP_PORT, …) or in a JSON config file.
The commands that read or write the servers' shared state (sources, sync, quarantine, reconcile, clients,
users, audit) take --database / IMAGING_BRIDGE_DATABASE / config "database" as serve does: give the same.
Run 'imaging-bridge serve --help' for all options.`;

const commands: Record<string, (args: string[], env: NodeJS.ProcessEnv) => Promise<number>> = {
  serve: runServe,
  import: runImport,
  delete: runDelete,
  sources: runSources,
  sync: runSync,
  quarantine: runQuarantine,
  clients: runClients,
  users: runUsers,
  audit: runAudit,
  encryption: runEncryption,
  assess: runAssess,
  reconcile: runReconcile,
  migrate: runMigrate,
};

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const run = commands[command];
  if (!run) {
    console.error(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  return run(args, process.env);
}

main().then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError) console.error(`imaging-bridge: configuration error: ${e.message}`);
    else console.error(`imaging-bridge: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
