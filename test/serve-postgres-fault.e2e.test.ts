/**
 * Fault test of issue 22 with real processes: two `serve` on one PostgreSQL database (a throwaway
 * cluster of this suite's own) and one bucket (s3rver).
 *
 * 1. STOW-RS and C-STORE (DCMTK storescu) load spread over both, one SIGKILLed mid-ingest; then
 *    through the survivor: every acknowledged instance is there and byte-identical (the data set
 *    for C-STORE, which carries the receiver's File Meta Information), every study is in FHIR
 *    exactly once with the stored count (studies the killed instance had claimed in the outbox are
 *    taken over when `bridge.outboxClaimMs` runs out), no sync was written twice (each version in
 *    the ImagingStudy's history has more instances than the one before), the outbox drains, and
 *    `audit verify --database` passes.
 */
import { describe, it } from 'vitest';
import { ROOT } from '../src/dicom/test-support.js';
import { checkAcknowledgedArchived } from './support/acknowledged-archive-check.js';
import { expectAuditVerifies } from './support/audit-verify.js';
import { checkFhirOncePerStudy, checkOutboxDrained } from './support/bridge-sync-checks.js';
import { dcmtkAvailable } from './support/dcmtk.js';
import { cStoreOne, lane, stowOne } from './support/ingest-lanes.js';
import { Ledger } from './support/ingest-ledger.js';
import { sharedArchiveServers } from './support/shared-archive-servers.js';
import { waitFor } from './support/wait.js';

/** Short, so the takeover of the killed instance's claimed studies is seen within the test. */
const CLAIM_MS = 3000;
const { db, skip, start, tempDir } = sharedArchiveServers('serve-fault', {
  configFile: { bridge: { outboxClaimMs: CLAIM_MS } },
});
const haveStorescu = dcmtkAvailable(['storescu']);
const BASE = `${ROOT}.97.${process.pid}`;

describe.skipIf(skip !== undefined)(
  `serve --database: fault tests with two instances${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('SIGKILL of one instance under STOW-RS and C-STORE: nothing acknowledged lost, each study in FHIR once, audit verifies', async () => {
      const a = await start();
      const b = await start();
      const studies = [1, 2, 3, 4].map((k) => `${BASE}.${k}`);
      const ledger = new Ledger(studies);
      const work = tempDir('cstore-');
      let killed = false;
      const stop = () => killed;
      const lanes: Promise<void>[] = [];
      for (const s of [a, b]) {
        lanes.push(
          lane(() => stowOne(s, ledger), ledger, stop),
          lane(() => stowOne(s, ledger), ledger, stop),
        );
        if (haveStorescu) lanes.push(lane(() => cStoreOne(s, ledger, work), ledger, stop));
      }
      await waitFor(
        () =>
          ledger.acked.size >= 24 &&
          ledger.ackedVia((s) => s.to === a.httpPort) >= 8 &&
          (!haveStorescu || ledger.ackedVia((s) => s.via === 'c-store') >= 4) &&
          ledger.ackedVia((s) => s.via === 'stow') >= 12,
        { timeoutMs: 120_000, intervalMs: 20, what: '24 acknowledged instances (STOW-RS and C-STORE) over both' },
      );
      process.kill(a.pid, 'SIGKILL');
      killed = true;
      await Promise.all(lanes);

      // Rows the killed instance had claimed stay claimed until the claim runs out; then the survivor syncs them.
      const counts = await checkAcknowledgedArchived(b, ledger, studies);
      await checkFhirOncePerStudy(b, db.url(), counts);
      await checkOutboxDrained(db.url());
      await expectAuditVerifies(db);
      console.log(
        `SIGKILL: ${ledger.acked.size} acknowledged (${ledger.ackedVia((s) => s.via === 'c-store')} by C-STORE) of ${ledger.sent.size} sent; refused ${ledger.refused.length}: ${[...new Set(ledger.refused)].join(', ')}`,
      );
    }, 360_000);
  },
);
