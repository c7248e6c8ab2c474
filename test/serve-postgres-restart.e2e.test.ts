/**
 * Fault test of issue 22 with a real process: `serve` on a PostgreSQL database (a throwaway
 * cluster of this suite's own) and a bucket (s3rver). PostgreSQL is restarted (fast shutdown, down
 * for two seconds, started again) while STOW-RS and C-STORE run against it: every request is
 * acknowledged or answered with an error status, the server stays up and stores again once
 * PostgreSQL is back, nothing acknowledged is lost, FHIR catches up and the audit chain verifies.
 * (Before session 13 the process died: an 'error' event on a checked-out pg client.)
 */
import { describe, expect, it } from 'vitest';
import { ROOT } from '../src/dicom/test-support.js';
import { checkAcknowledgedArchived } from './support/acknowledged-archive-check.js';
import { expectAuditVerifies } from './support/audit-verify.js';
import { checkFhirOncePerStudy, checkOutboxDrained } from './support/bridge-sync-checks.js';
import { dcmtkAvailable } from './support/dcmtk.js';
import { cStoreOne, lane, stowOne } from './support/ingest-lanes.js';
import { Ledger } from './support/ingest-ledger.js';
import { processAlive } from './support/process.js';
import { sharedArchiveServers } from './support/shared-archive-servers.js';
import { waitFor } from './support/wait.js';

/** Short, so outbox rows claimed by a sync whose connection the restart cut are synced again within the test. */
const CLAIM_MS = 3000;
const { db, skip, start, tempDir } = sharedArchiveServers('serve-restart', {
  configFile: { bridge: { outboxClaimMs: CLAIM_MS } },
});
const haveStorescu = dcmtkAvailable(['storescu']);
const BASE = `${ROOT}.96.${process.pid}`;

describe.skipIf(skip !== undefined)(
  `serve --database: PostgreSQL restarted under load${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it.skipIf(db.restart === undefined)(
      'PostgreSQL restarted under STOW-RS and C-STORE: errors or acknowledgements, the server recovers, nothing acknowledged lost',
      async () => {
        const b = await start();
        const studies = [5, 6, 7].map((k) => `${BASE}.${k}`);
        const ledger = new Ledger(studies);
        const work = tempDir('cstore-');
        let done = false;
        const stop = () => done;
        const lanes = [
          lane(() => stowOne(b, ledger), ledger, stop),
          lane(() => stowOne(b, ledger), ledger, stop),
          lane(() => stowOne(b, ledger), ledger, stop),
        ];
        if (haveStorescu) lanes.push(lane(() => cStoreOne(b, ledger, work), ledger, stop));
        await waitFor(() => ledger.acked.size >= 8, {
          timeoutMs: 120_000,
          intervalMs: 20,
          what: '8 acknowledged instances before the restart',
        });
        const before = ledger.acked.size;
        let duringDown = 0;
        await db.restart!(async () => {
          const at = ledger.acked.size;
          await new Promise((r) => setTimeout(r, 2000));
          duringDown = ledger.acked.size - at;
        });
        const refusedBeforeRecovery = ledger.refused.length;
        const afterRestart = ledger.acked.size;
        // Recovered: acknowledgements again, by STOW-RS and (when DCMTK is there) by C-STORE.
        await waitFor(
          () =>
            ledger.ackedVia((s) => s.via === 'stow') > 0 &&
            ledger.acked.size >= afterRestart + 8 &&
            (!haveStorescu || [...ledger.acked.values()].slice(afterRestart).some((s) => s.via === 'c-store')),
          { timeoutMs: 120_000, intervalMs: 50, what: '8 more acknowledged instances after the restart' },
        ).catch((e) => {
          done = true;
          const late = [...ledger.acked.values()].slice(afterRestart).map((s) => s.via);
          throw new Error(
            `${(e as Error).message}: after it ${JSON.stringify(late)}; refused ${ledger.refused.slice(-12).join(' | ')}; alive ${processAlive(b.pid)}; log ${b.output().slice(-3000)}`,
          );
        });
        done = true;
        await Promise.all(lanes);
        expect(processAlive(b.pid), 'the server process is still running').toBe(true);
        // Every answer that was not an acknowledgement is an error status, or a DIMSE failure.
        for (const r of ledger.refused) expect(r).toMatch(/^(STOW [45]\d\d|C-STORE .+)$/);

        const counts = await checkAcknowledgedArchived(b, ledger, studies);
        await checkFhirOncePerStudy(b, db.url(), counts);
        await checkOutboxDrained(db.url());
        await expectAuditVerifies(db);
        console.log(
          `PostgreSQL restart: ${before} acknowledged before, ${duringDown} while down, ${ledger.acked.size} in all of ${ledger.sent.size} sent; refused ${ledger.refused.length} (${refusedBeforeRecovery} by the end of the restart): ${[...new Set(ledger.refused)].join(', ')}`,
        );
      },
      360_000,
    );
  },
);
