/**
 * Round trips and CPU per audit-chain append on PostgreSQL (issue 22), at the store
 * (PgChainStore.append: what the group-committing writer calls once per batch), on a scratch
 * database of the test cluster (PG_TEST_URL or a throwaway cluster, fsync off: code costs only).
 * Round trips: every pg Client.query() call of the run (node-postgres sends one query and waits
 * for its answer before the next: one call is one round trip). CPU: this process
 * (process.cpuUsage) and the PostgreSQL processes under it (/proc, 0 with PG_TEST_URL elsewhere).
 *
 *   solo   one instance, `--appends` appends one after the other (`--batch` records each)
 *   pair   two instances (two pools, as two `serve`) appending at the same time, `--appends` each
 *
 *   node --import tsx bench/audit-pg-append.ts [--appends 2000] [--batch 1] [--rounds 3]
 * A/B: copy this file into a worktree of the base and run it there in the same minute.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PgChainStore } from '../src/audit/chain-store-pg.js';
import { verifyChain } from '../src/audit/verify.js';
import { scratchDatabase } from './pg-scratch-database.js';
import { postgresCpuS } from './postgres-cpu.js';

const { values } = parseArgs({
  options: {
    appends: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
  },
});
const appends = Number(values.appends);
const batch = Number(values.batch);
const key = randomBytes(32);

let roundTrips = 0;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  roundTrips++;
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

let n = 0;
const records = () =>
  Array.from({ length: batch }, () => {
    const id = `ev-${++n}-${randomBytes(4).toString('hex')}`;
    const recorded = new Date().toISOString();
    return { id, recorded, json: JSON.stringify({ resourceType: 'AuditEvent', id, recorded, outcome: '0' }) };
  });

const processMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function measure(label: string, stores: PgChainStore[], round: number): Promise<void> {
  const rt0 = roundTrips;
  const c0 = processMs();
  const p0 = postgresCpuS();
  await Promise.all(
    stores.map(async (s) => {
      for (let i = 0; i < appends; i++) await s.append(records(), key);
    }),
  );
  const total = appends * stores.length;
  console.log(
    JSON.stringify({
      scenario: label,
      round,
      appends: total,
      recordsPerAppend: batch,
      roundTripsPerAppend: +((roundTrips - rt0) / total).toFixed(3),
      nodeCpuMsPerAppend: +((processMs() - c0) / total).toFixed(4),
      postgresCpuMsPerAppend: +(((postgresCpuS() - p0) * 1000) / total).toFixed(4),
    }),
  );
}

const db = await scratchDatabase(`audit_bench_${randomBytes(4).toString('hex')}`);
try {
  const a = await PgChainStore.open(db.url);
  const b = await PgChainStore.open(db.url);
  try {
    await a.append(records(), key); // schema, statements, first head out of the figures
    await b.append(records(), key);
    for (let round = 0; round < Number(values.rounds); round++) {
      await measure('solo', [a], round);
      await measure('pair', [a, b], round);
    }
    const verified = await verifyChain(a, key);
    console.log(JSON.stringify({ verified: verified.ok, records: verified.records }));
    if (!verified.ok) process.exitCode = 1;
  } finally {
    await a.close();
    await b.close();
  }
} finally {
  await db.close();
}
