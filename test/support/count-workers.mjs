// Preloaded (--import) into a spawned server: appends `start <name>` / `exit <name>` to
// $WORKERS_FILE for each worker thread the main thread starts (test/service-threads.e2e.test.ts).
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

const file = process.env.WORKERS_FILE;
if (file && workerThreads.isMainThread) {
  const Original = workerThreads.Worker;
  workerThreads.Worker = class extends Original {
    constructor(script, options) {
      super(script, options);
      const name = options?.name ?? 'unnamed';
      appendFileSync(file, `start ${name}\n`);
      this.once('exit', () => appendFileSync(file, `exit ${name}\n`));
    }
  };
  syncBuiltinESMExports();
}
