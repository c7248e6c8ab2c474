/**
 * The outbox claims of one sync pass (issue 22: several instances on one database). While the
 * pass syncs, a heartbeat every claimMs/3 extends the claims it still holds, so a pass that
 * outlasts `bridge.outboxClaimMs` keeps its studies and no other instance syncs them beside it.
 * Its commit first asks which claims it still holds (SyncOutbox.holdClaims, in the commit's
 * transaction): the results of a study whose claim was lost — it ran out (the heartbeat could
 * not reach the database, the process stalled) and another instance claimed the row — are not
 * committed — nor the records the sync made for the study (findings, quarantine, links:
 * study-writes.ts); that instance's sync records the study.
 */
import type { Logger } from 'pino';
import { andThen, type Awaitable } from './awaitable.js';
import type { HeldClaim, OutboxRow, SyncOutbox } from './outbox.js';

export class PassClaims {
  private readonly held = new Map<string, number>();
  private readonly lost = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(
    private readonly outbox: SyncOutbox,
    rows: readonly OutboxRow[],
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {
    for (const row of rows) if (row.claimedUntil !== undefined) this.held.set(row.studyUid, row.claimedUntil);
  }

  /** Whether the pass holds claims at all (an outbox with a claim time): else nothing here does anything. */
  get claiming(): boolean {
    return this.held.size > 0;
  }

  /** Starts the heartbeat (every claimMs/3, at least every 10 ms). */
  start(): void {
    if (!this.claiming || this.outbox.claimMs <= 0) return;
    const every = Math.max(10, Math.floor(this.outbox.claimMs / 3));
    this.timer = setInterval(() => {
      this.round ??= this.renew().finally(() => {
        this.round = undefined;
      });
    }, every);
    this.timer.unref();
  }

  /** Stops the heartbeat, once its round in progress is done (the claims' ends are final then). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** Whether the pass may commit its result for the study (lost: another instance has it). */
  holds(studyUid: string): boolean {
    return !this.lost.has(studyUid);
  }

  /**
   * The journal op that decides, in the commit's transaction, which claims are still held: the
   * first op of the pass's commit. Until it answers every claim counts as lost, so when it fails
   * nothing of the pass is committed (its rows are due again when their claims run out).
   * Run again (the journal retries its ops one by one), it decides again: it changes nothing.
   */
  check(): () => Awaitable<void> {
    return () => {
      const claims = this.claims();
      for (const c of claims) this.lost.add(c.studyUid);
      return andThen(this.outbox.holdClaims(claims), (still) => {
        for (const uid of still) this.lost.delete(uid);
        this.reportLost(claims, 'its commit');
      });
    };
  }

  /** `op` for the study, run only if the pass still holds its claim (without claims: always). */
  guard(studyUid: string, op: () => Awaitable<void>): () => Awaitable<void> {
    if (!this.held.has(studyUid)) return op;
    return () => (this.lost.has(studyUid) ? undefined : op());
  }

  private claims(): HeldClaim[] {
    return [...this.held].filter(([uid]) => !this.lost.has(uid)).map(([studyUid, until]) => ({ studyUid, until }));
  }

  private async renew(): Promise<void> {
    const claims = this.claims();
    if (claims.length === 0) return;
    try {
      const renewed = await this.outbox.renewClaims(claims, this.now());
      const still = new Set<string>();
      for (const c of renewed) {
        this.held.set(c.studyUid, c.until);
        still.add(c.studyUid);
      }
      for (const c of claims) if (!still.has(c.studyUid)) this.lost.add(c.studyUid);
      this.reportLost(claims, 'the sync');
    } catch (err) {
      // Tried again at the next beat; the commit's check decides in the end.
      this.logger.warn({ err, studies: claims.length }, 'sync worker: renewing the outbox claims failed');
    }
  }

  private reportLost(claims: readonly HeldClaim[], during: string): void {
    const lost = claims.filter((c) => this.lost.has(c.studyUid)).map((c) => c.studyUid);
    if (lost.length > 0)
      this.logger.warn(
        { studies: lost },
        `sync worker: outbox claim lost during ${during} (another instance took the study); its result is not committed here`,
      );
  }
}
