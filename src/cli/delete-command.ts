import { userInfo } from 'node:os';
import { ConfigError } from '../core/errors.js';
import { openArchive } from '../archive-storage.js';
import { parseCommandLine } from './options.js';

/** Administrative deletion of a study, series or instance; recorded in the index. */
export async function runDelete(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { config, values } = parseCommandLine(args, env, {
    study: { type: 'string' },
    series: { type: 'string' },
    instance: { type: 'string' },
    reason: { type: 'string' },
  });
  const studyUid = values.study as string | undefined;
  const seriesUid = values.series as string | undefined;
  const sopUid = values.instance as string | undefined;
  if (!studyUid) throw new ConfigError('delete needs --study UID (and optionally --series UID, --instance UID)');
  if (sopUid && !seriesUid) throw new ConfigError('--instance needs --series as well');
  const archive = await openArchive(config);
  try {
    const count = await archive.delete(
      { studyUid, seriesUid, sopUid },
      `cli:${userInfo().username}`,
      values.reason as string | undefined,
    );
    if (count === 0) {
      console.error('nothing deleted: no instance matches these UIDs');
      return 1;
    }
    console.log(`deleted ${count} instance${count === 1 ? '' : 's'}`);
    return 0;
  } finally {
    await archive.close();
  }
}
