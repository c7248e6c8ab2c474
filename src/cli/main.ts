#!/usr/bin/env node
import { ConfigError } from '../core/errors.js';

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

type Command = (args: string[], env: NodeJS.ProcessEnv) => Promise<number>;

/** Each command's module is loaded when it is run: a command pays only for its own imports. */
const commands = new Map<string, () => Promise<Command>>([
  ['serve', () => import('./serve-command.js').then((m) => m.runServe)],
  ['import', () => import('./import-command.js').then((m) => m.runImport)],
  ['delete', () => import('./delete-command.js').then((m) => m.runDelete)],
  ['sources', () => import('./sources-command.js').then((m) => m.runSources)],
  ['sync', () => import('./sync-command.js').then((m) => m.runSync)],
  ['quarantine', () => import('./quarantine-command.js').then((m) => m.runQuarantine)],
  ['clients', () => import('./clients-command.js').then((m) => m.runClients)],
  ['users', () => import('./users-command.js').then((m) => m.runUsers)],
  ['audit', () => import('./audit-command.js').then((m) => m.runAudit)],
  ['encryption', () => import('./encryption-command.js').then((m) => m.runEncryption)],
  ['assess', () => import('./assess-command.js').then((m) => m.runAssess)],
  ['reconcile', () => import('./reconcile-command.js').then((m) => m.runReconcile)],
  ['migrate', () => import('./migrate-command.js').then((m) => m.runMigrate)],
]);

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const load = commands.get(command);
  if (!load) {
    console.error(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  return (await load())(args, process.env);
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
