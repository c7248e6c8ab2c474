/**
 * A second process for the lease and work-queue takeover tests (src/core/postgres/*.test.ts):
 * `lease URL SCHEMA NAME TTL` takes the lease and prints `held TOKEN`; `claim URL SCHEMA QUEUE
 * VISIBILITY` claims one job and prints `claimed ID`; `job URL SCHEMA NAME TTL` runs a leased
 * background job (src/core/leased-job.ts) that records a tick in SCHEMA.tick every 50 ms while it
 * runs here, and prints `started`. Then it keeps running until the test SIGKILLs it — a holder or
 * worker that dies mid-work.
 */
import { openPool } from '../../src/core/postgres/pool.js';
import { Lease } from '../../src/core/postgres/lease.js';
import { WorkQueue } from '../../src/core/postgres/work-queue.js';
import { tickingJob } from '../../src/core/postgres/coordination-test-support.js';
import { openJobLeases } from '../../src/core/postgres/job-leases.js';

const [mode, url, schema, name, ms] = process.argv.slice(2);
const pool = openPool(url!, { max: 2 });
if (mode === 'lease') {
  const lease = await Lease.open(pool, { name: name!, schema: schema!, ttlMs: Number(ms) });
  lease.start({ acquired: (token) => console.log(`held ${token}`) });
} else if (mode === 'job') {
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const ttlMs = Number(ms);
  const leases = await openJobLeases(url, { ttlMs, renewMs: Math.floor(ttlMs / 3) }, quiet, { schema: schema! });
  leases
    .guard(
      name!,
      tickingJob(pool, schema!, 'child', () => console.log('started')),
    )
    .start();
} else {
  const queue = await WorkQueue.open<unknown>(pool, { queue: name!, schema: schema!, visibilityMs: Number(ms) });
  const [job] = await queue.claim('child');
  console.log(`claimed ${job?.id}`);
}
setInterval(() => undefined, 60_000); // alive until killed
