/**
 * A second process for the lease and work-queue takeover tests (src/core/postgres/*.test.ts):
 * `lease URL SCHEMA NAME TTL` takes the lease and prints `held TOKEN`; `claim URL SCHEMA QUEUE
 * VISIBILITY` claims one job and prints `claimed ID`. Then it keeps running, doing nothing more,
 * until the test SIGKILLs it — a holder or worker that dies mid-work.
 */
import { openPool } from '../../src/core/postgres/pool.js';
import { Lease } from '../../src/core/postgres/lease.js';
import { WorkQueue } from '../../src/core/postgres/work-queue.js';

const [mode, url, schema, name, ms] = process.argv.slice(2);
const pool = openPool(url!, { max: 2 });
if (mode === 'lease') {
  const lease = await Lease.open(pool, { name: name!, schema: schema!, ttlMs: Number(ms) });
  lease.start({ acquired: (token) => console.log(`held ${token}`) });
} else {
  const queue = await WorkQueue.open<unknown>(pool, { queue: name!, schema: schema!, visibilityMs: Number(ms) });
  const [job] = await queue.claim('child');
  console.log(`claimed ${job?.id}`);
}
setInterval(() => undefined, 60_000); // alive until killed
