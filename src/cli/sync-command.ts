import { ConfigError } from '../core/errors.js';
import { parseCommandLine } from './options.js';
import { openSharedStores } from './shared-stores.js';

const USAGE = `imaging-bridge sync status [--json]          outbox, retries, dead letters, the target's capabilities
imaging-bridge sync replay [--study UID]      make dead letters (all, or one study) due again

Works on the data folder (--data-dir), or on PostgreSQL with --database postgres://… (or
IMAGING_BRIDGE_DATABASE, or the config file's "database"): give what the servers are given.`;

/** The DICOM → FHIR sync as recorded in the data folder: what waits, what failed and why; replay. */
export async function runSync(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.length === 0) {
    console.log(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  const { config, values, positionals } = parseCommandLine(args, env, {
    study: { type: 'string' },
    json: { type: 'boolean' },
  });
  const stores = openSharedStores(config);
  try {
    const admin = await stores.bridge();
    switch (positionals[0]) {
      case 'status': {
        const s = await admin.status();
        if (values.json) {
          console.log(JSON.stringify(s, null, 2));
          return 0;
        }
        const caps = s.capabilities;
        console.log(
          `target: ${caps ? `${caps.target} (${caps.baseUrl}) — ${caps.reachable ? (caps.usable ? 'usable' : 'NOT usable') : 'not reachable'}, transaction ${caps.transaction ? 'yes' : 'no'}, checked ${caps.checkedAt}` : 'not checked yet'}`,
        );
        for (const p of caps?.problems ?? []) console.log(`  - ${p}`);
        console.log(
          `synced studies: ${s.synced}; pending: ${s.outbox.pending}; retrying: ${s.outbox.retrying}; dead letters: ${s.outbox.dead}; quarantined: ${s.quarantined}`,
        );
        for (const r of s.retrying)
          console.log(
            `retrying ${r.studyUid} (attempt ${r.attempts}, next ${new Date(r.nextAttemptAt).toISOString()}): ${r.lastError ?? ''}`,
          );
        for (const d of s.deadLetters) console.log(`dead ${d.studyUid} (${d.attempts} attempts): ${d.lastError ?? ''}`);
        return 0;
      }
      case 'replay': {
        const count = await admin.replay(values.study as string | undefined);
        console.log(`${count} dead letter${count === 1 ? '' : 's'} queued again`);
        return count === 0 && values.study ? 1 : 0;
      }
      default:
        throw new ConfigError(`unknown sync action "${positionals[0]}"\n\n${USAGE}`);
    }
  } finally {
    await stores.close();
  }
}
