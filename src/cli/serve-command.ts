import { boundHeapGrowth, collectStartUpGarbage, reduceHeapWhenIdle } from '../core/heap-tuning.js';
import { createLogger } from '../core/logger.js';
import { privateUmask } from '../core/private-files.js';
import { startServer } from '../main.js';
import { optionsHelp, parseCommandLine } from './options.js';

export async function runServe(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help')) {
    console.log(
      `imaging-bridge serve [options]\n\n${optionsHelp()}\n  --config FILE            JSON config file (keys as in the option names, camelCase)`,
    );
    return 0;
  }
  const { config } = parseCommandLine(args, env);
  privateUmask(); // the data directory holds PHI and credentials: everything created is the owner's alone
  const logger = createLogger(config.logLevel);
  if (config.auth === 'none') {
    const banner =
      'WARNING: --auth none — every request is served without authentication. For local evaluation on loopback only.';
    process.stderr.write(`\n*** ${banner} ***\n\n`);
    logger.warn({ auth: 'none' }, banner);
  }
  boundHeapGrowth();
  let stop: (reason: string) => void = () => undefined;
  let lost = false;
  const server = await startServer(config, logger, {
    onDurabilityLost: () => {
      lost = true;
      stop('durability lost');
    },
  });
  collectStartUpGarbage(); // before the first load, not at its first full collection
  // What later work grew, given back when idle.
  const heap = reduceHeapWhenIdle({
    onRound: (bytes) =>
      logger.debug(
        { heapTotalMb: Math.round(bytes / 2 ** 20), rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) },
        'heap reduced while idle',
      ),
  });
  await new Promise<void>((resolve) => {
    let stopping = false;
    stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ reason }, 'shutting down');
      heap.stop();
      server.close().then(resolve, resolve);
    };
    if (lost) stop('durability lost'); // during start-up
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // EX_TEMPFAIL: a supervisor (systemd Restart=on-failure) restarts, and start-up recovers.
  return lost ? DURABILITY_LOST_EXIT : 0;
}

/** The exit code after a failed sync of the archive index (docs/journal-recovery.md). */
export const DURABILITY_LOST_EXIT = 75;
