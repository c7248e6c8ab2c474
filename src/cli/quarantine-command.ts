import { userInfo } from 'node:os';
import type { QuarantineState } from '../bridge/quarantine/quarantine-store.js';
import { parseBridgeConfig } from '../bridge/sync/config.js';
import { ConfigError } from '../core/errors.js';
import { parseFhirConfig } from '../fhir/config.js';
import { parseCommandLine } from './options.js';
import { openSharedStores } from './shared-stores.js';

const USAGE = `imaging-bridge quarantine list [--state held|released|rejected] [--json]
imaging-bridge quarantine show STUDY_UID
imaging-bridge quarantine release STUDY_UID [--comment TEXT]   sync now, error findings overridden
imaging-bridge quarantine reject STUDY_UID [--comment TEXT]    never sync; entered-in-error in FHIR (bridge.rejectPolicy "delete" also deletes it)

Works on the data folder (--data-dir), or on PostgreSQL with --database postgres://… (or
IMAGING_BRIDGE_DATABASE, or the config file's "database"), as serve; a running server picks
releases and rejections up within a second.`;

/** Studies held for data-quality errors: list them, see why, release or reject them. */
export async function runQuarantine(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.length === 0) {
    console.log(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  const { config, values, positionals } = parseCommandLine(args, env, {
    state: { type: 'string' },
    comment: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [action, studyUid] = positionals;
  const bridgeConfig = parseBridgeConfig(
    config.sections.bridge,
    Object.keys(parseFhirConfig(config.sections.fhir).servers),
  );
  const stores = openSharedStores(config);
  try {
    const admin = await stores.bridge();
    const actor = `cli:${userInfo().username}`;
    const comment = values.comment as string | undefined;
    switch (action) {
      case 'list': {
        const state = (values.state as QuarantineState | undefined) ?? 'held';
        if (!['held', 'released', 'rejected'].includes(state))
          throw new ConfigError('--state must be held, released or rejected');
        const entries = await admin.list(state);
        if (values.json) console.log(JSON.stringify(entries, null, 2));
        else if (entries.length === 0) console.log(`no study is ${state}`);
        else
          for (const e of entries)
            console.log(
              `${e.studyUid}  ${e.state}  since ${new Date(e.heldAt).toISOString()}  ${e.reasons.map((r) => `${r.rule}@${r.tag}`).join(', ')}`,
            );
        return 0;
      }
      case 'show': {
        if (!studyUid) throw new ConfigError('quarantine show needs a STUDY_UID');
        const shown = await admin.show(studyUid);
        if (!shown) {
          console.error('no data-quality record for this study');
          return 1;
        }
        console.log(JSON.stringify(shown, null, 2));
        return 0;
      }
      case 'release':
      case 'reject': {
        if (!studyUid) throw new ConfigError(`quarantine ${action} needs a STUDY_UID`);
        if (!(await admin[action](studyUid, actor, comment))) {
          console.error('this study is not in quarantine');
          return 1;
        }
        if (action === 'reject' && bridgeConfig.rejectPolicy === 'delete') {
          const count = await (await stores.archive()).delete(
            { studyUid },
            actor,
            `quarantine reject${comment ? `: ${comment}` : ''}`,
          );
          console.log(`deleted ${count} instance${count === 1 ? '' : 's'} (bridge.rejectPolicy = delete)`);
        }
        console.log(
          action === 'release'
            ? 'released: queued for sync with its error findings overridden'
            : 'rejected: it will not be synced; an existing ImagingStudy becomes entered-in-error',
        );
        return 0;
      }
      default:
        console.error(`unknown quarantine action "${action}"\n\n${USAGE}`);
        return 2;
    }
  } finally {
    await stores.close();
  }
}
