import { ConfigError } from '../core/errors.js';
import { openPool, redactUrl } from '../core/postgres/pool.js';
import { defaultAuditKeyFile } from '../audit/key-file.js';
import { MigrateError } from '../migrate/errors.js';
import { reportLines } from '../migrate/report.js';
import { runMigration } from '../migrate/run.js';
import { parseCommandLine } from './options.js';

const USAGE = `imaging-bridge migrate --from DIR --to postgres://USER@HOST/DB [--blob-store s3://BUCKET/PREFIX|file:DIR] [--resume]
    [--public-url URL] [--audit-key-file F] [--batch N]
  Copies a stopped embedded installation (SQLite + files) into PostgreSQL (+ a blob store), then
  verifies counts and hashes. Exit 0: verified; 1: a mismatch or an error; 2: bad usage. See docs/migrate.md.`;

/** `migrate`: --from is the data directory, --to the database (the same options as --data-dir and --database). */
export async function runMigrate(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.length === 0) {
    console.log(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  const renamed = args.map((a) => (a === '--from' ? '--data-dir' : a === '--to' ? '--database' : a));
  const { config, values, positionals } = parseCommandLine(renamed, env, {
    resume: { type: 'boolean' },
    batch: { type: 'string' },
  });
  if (positionals.length > 0) throw new ConfigError(`migrate takes no positional arguments\n\n${USAGE}`);
  if (!args.includes('--from')) throw new ConfigError(`migrate: --from DIR is required\n\n${USAGE}`);
  if (config.database === undefined) throw new ConfigError(`migrate: --to postgres://… is required\n\n${USAGE}`);
  const batch = values.batch === undefined ? 500 : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 2000)
    throw new ConfigError('migrate: --batch must be a whole number from 1 to 2000');
  const pool = openPool(config.database, { max: 4 });
  try {
    console.log(`migrating ${config.dataDir} into ${redactUrl(config.database)}`);
    const report = await runMigration({
      from: config.dataDir,
      pool,
      blobs: config.blobStore === undefined ? undefined : config.blobs,
      fhirBaseUrl: `${config.publicUrl.replace(/\/+$/, '')}/fhir`,
      auditKeyFile: config.auditKeyFile ?? defaultAuditKeyFile(config.dataDir),
      resume: values.resume === true,
      batch,
      log: (line) => console.log(line),
    });
    for (const line of reportLines(report)) console.log(line);
    return report.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof MigrateError) {
      console.error(`imaging-bridge migrate: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await pool.end();
  }
}
