import { importPaths, type ImportProgress } from '../archive/bulk-import.js';
import { ConfigError } from '../core/errors.js';
import { statusHex as hex } from '../core/dicom-status.js';
import { openArchive } from '../archive-storage.js';
import { parseCommandLine } from './options.js';
import { progressReporter } from './progress.js';
import { privateUmask } from '../core/private-files.js';

/** imaging-bridge import PATH... — exit 0 when nothing was refused, 1 otherwise. */
export async function runImport(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  privateUmask(); // the archive holds PHI: everything created is the owner's alone
  const { config, values, positionals } = parseCommandLine(args, env, { jobs: { type: 'string' } });
  if (positionals.length === 0) throw new ConfigError('import needs at least one file, folder or DICOMDIR');
  const jobs = values.jobs === undefined ? 4 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
    throw new ConfigError('--jobs must be a whole number from 1 to 64');
  // Small objects go to packs of the import's own, like the server's (one storage path).
  const archive = await openArchive(config, { importing: true });
  const progress = progressReporter(process.stderr);
  const started = Date.now();
  try {
    const summary = await importPaths(positionals, archive, {
      jobs,
      onProgress: (p: ImportProgress) => progress.update(p),
    });
    progress.finish(summary);
    const secs = (Date.now() - started) / 1000;
    console.log(
      `import: ${summary.total} files: ${summary.stored} stored, ${summary.duplicate} duplicate, ${summary.refused} refused (${secs.toFixed(1)} s)`,
    );
    for (const r of summary.warnings) console.log(`  stored with a warning ${r.path}: ${hex(r.status)} ${r.reason}`);
    for (const r of summary.refusals) console.log(`  refused ${r.path}: ${hex(r.status)} ${r.reason}`);
    return summary.refused === 0 ? 0 : 1;
  } finally {
    await archive.close();
  }
}
