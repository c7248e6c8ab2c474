/**
 * The sync worker of the server process: polls the outbox (every `pollMs`, and when the next
 * study's debounce ends: SyncOutbox.nextDueAt), and runs the studies that have been
 * quiet for `debounceMs` (or kept changing for `maxDelayMs`) in batched passes — up to
 * `batchSize` studies per pass, one pass at a time (two on PostgreSQL: options.passes) and at
 * most one started per `pollMs` (unless a backlog fills them), never more than one sync per
 * study at a time, nor more often than once per `minIntervalMs`. A pass ends with one archive commit for
 * everything the bridge records about its studies (outbox completion, sync records, findings:
 * write-journal.ts); a backlog is worked off pass after pass, yielding to the event loop in
 * between. Transient failures come back after a growing backoff for as long as it takes;
 * permanent ones are parked in the dead-letter list. The outbox row goes only once the sync
 * succeeded (its FHIR write committed) and no change came meanwhile.
 *
 * It speaks to the outbox and the journal through their interfaces and awaits every answer, so
 * the same worker runs on the SQLite index (answers at once) and on PostgreSQL (promises).
 *
 * With an outbox that claims its rows (several instances on one database), a pass keeps its
 * claims while it syncs (renewed every claimMs/3) and commits only the results of the studies it
 * still holds at its commit (claim-renewal.ts) — the outbox completion and sync record, and the
 * archive writes the sync made for the study (studyWrites: findings, holds, links).
 */
import type { Logger } from 'pino';
import { andThen, type Awaitable } from './awaitable.js';
import { PassClaims } from './claim-renewal.js';
import type { BridgeConfig } from './config.js';
import { backoffMs, describeFailure, isTransient } from './failures.js';
import type { OutboxRow, SyncOutbox } from './outbox.js';
import type { StudyResult, SyncOutcome } from './study-sync.js';
import { type ArchiveWrites, StudyWritesRouter } from './study-writes.js';
import { eachOnItsOwn, type BridgeWriteJournal } from './write-journal.js';

/** Where the worker collects its outbox updates of a pass (committed by flush at the pass's end). */
export type SyncWrites = Pick<BridgeWriteJournal, 'add' | 'flush'>;

export type SyncTimings = Pick<
  BridgeConfig,
  'debounceMs' | 'maxDelayMs' | 'minIntervalMs' | 'pollMs' | 'concurrency' | 'retryBaseDelayMs' | 'retryMaxDelayMs'
> &
  Partial<Pick<BridgeConfig, 'batchSize'>>;

export interface SyncEvent {
  studyUid: string;
  outcome?: SyncOutcome;
  error?: string;
  transient?: boolean;
}

/** Syncs a batch of studies; one result per study (a rejection counts as the error of all). */
export type BatchSync = (studyUids: string[]) => Promise<StudyResult[]>;

export interface SyncWorkerOptions {
  /** Where the outbox updates of a pass are collected (committed at its end); without it, each is written on its own at the pass's end. */
  writes?: SyncWrites;
  /**
   * The next pass starts while this one's archive commit (the journal's flush) runs (default
   * false). On PostgreSQL that commit is a handful of round trips (one statement per kind of
   * write: src/bridge/postgres/pg-write-batch.ts); its
   * studies stay in flight until it is done, so none is taken twice, and their FHIR writes are
   * done before the next pass reads anything.
   */
  overlapCommit?: boolean;
  /**
   * Passes syncing at once (default 1). On PostgreSQL a pass mostly waits for round trips:
   * with 2, studies that become due while one runs are taken by a second one (after pollMs)
   * instead of waiting for its end. Never the same study twice (in flight: left out of due());
   * studies of one patient still one round at a time (StudySync's patient lock).
   */
  passes?: number;
  now?: () => number;
}

export class SyncWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Passes syncing (their commits may still run after them: overlapCommit). */
  private syncing = 0;
  private readonly maxPasses: number;
  private readonly overlapCommit: boolean;
  /** Commits run one after the other (one journal transaction at a time); this is the last one's end. */
  private commits: Promise<void> = Promise.resolve();
  private commitsPending = 0;
  private ticking = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly lastRun = new Map<string, number>();
  private readonly listeners = new Set<(e: SyncEvent) => void>();
  private readonly writes: SyncWrites;
  private readonly router: StudyWritesRouter;
  private readonly now: () => number;

  constructor(
    private readonly outbox: SyncOutbox,
    private readonly syncStudies: BatchSync,
    private readonly timings: SyncTimings,
    private readonly logger: Logger,
    options: SyncWorkerOptions = {},
  ) {
    this.writes = options.writes ?? eachOnItsOwn();
    this.router = new StudyWritesRouter(this.writes);
    this.now = options.now ?? Date.now;
    this.overlapCommit = options.overlapCommit ?? false;
    this.maxPasses = Math.max(1, options.passes ?? 1);
  }

  /**
   * Where the batch sync (StudySync) puts its archive writes, each for its study: the writes for a
   * study this worker is syncing are committed with the pass's results, only if the pass still
   * holds the study's claim then (study-writes.ts); the others go to the journal at once.
   */
  get studyWrites(): ArchiveWrites {
    return this.router;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Every finished sync, for status and tests. Returns the unsubscribe function. */
  onSync(listener: (e: SyncEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sync one study now, whatever its debounce (a person asked: release, reject). Through the
   * outbox's claim, as a pass: on PostgreSQL with several instances, a study another instance
   * is syncing (or one waiting for its next attempt) is left to the worker that holds it, which
   * syncs it with the decision already recorded; two instances never sync it at once.
   */
  async syncNow(studyUid: string): Promise<void> {
    await this.inFlight.get(studyUid);
    const row = await this.outbox.claimOne(studyUid, this.now());
    if (row) await this.run([row]);
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private get batchSize(): number {
    return this.timings.batchSize ?? this.timings.concurrency;
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.running || this.syncing >= this.maxPasses || this.ticking) return;
    this.ticking = true;
    const rows: OutboxRow[] = [];
    /** Nothing due: when to look again (at the latest pollMs from now). */
    let idleMs = this.timings.pollMs;
    try {
      const now = this.now();
      // What this worker will not take now is left out of the query, so every row due() returns
      // is synced in this pass: on PostgreSQL due() claims its rows for the claim time, and a
      // row claimed but skipped would wait that long while no instance syncs it.
      const exclude = new Set(this.inFlight.keys());
      for (const [uid, at] of this.lastRun)
        if (now - at < this.timings.minIntervalMs) exclude.add(uid);
        else this.lastRun.delete(uid);
      const asked = this.now();
      const due = await this.outbox.due({
        now,
        debounceMs: this.timings.debounceMs,
        maxDelayMs: this.timings.maxDelayMs,
        limit: this.batchSize,
        exclude: [...exclude],
      });
      rows.push(...due.slice(0, this.batchSize));
      if (rows.length) this.logger.debug({ rows: rows.length, ms: this.now() - asked }, 'outbox due');
      else {
        // A study quiet for its debounce is taken then, not at the next poll (up to pollMs later).
        const { debounceMs, maxDelayMs } = this.timings;
        // (One due now that due() did not return — locked by another instance's commit on
        // PostgreSQL — is looked at again after pollMs, as before.)
        const at = await this.outbox.nextDueAt({ debounceMs, maxDelayMs, exclude: [...exclude] });
        const wait = at === undefined ? idleMs : at - this.now() + 1;
        if (wait > 1) idleMs = Math.min(idleMs, wait);
      }
    } catch (e) {
      this.logger.error({ err: e }, 'sync worker: reading the outbox failed');
    } finally {
      this.ticking = false;
    }
    if (!this.running) return;
    if (rows.length === 0) return this.schedule(idleMs);
    // Passes start at most once per pollMs, so studies that become due one by one during an
    // ingest are gathered into batches; a full pass (a backlog) is followed by the next one
    // at once. Between passes DIMSE and HTTP requests get their turn (setImmediate, timers).
    const startedAt = this.now();
    const full = rows.length >= this.batchSize;
    this.syncing++;
    let released = false;
    const next = (): void => {
      if (released) return;
      released = true;
      this.syncing--;
      if (!this.running) return;
      const wait = full ? 0 : this.timings.pollMs - (this.now() - startedAt);
      if (wait > 0) this.schedule(wait);
      else setImmediate(() => void this.tick());
    };
    void this.run(rows, this.overlapCommit ? next : undefined).finally(next);
    // Room for another pass: the next look after pollMs (passes still start at most once per pollMs).
    if (this.syncing < this.maxPasses) this.schedule(this.timings.pollMs);
  }

  private run(rows: OutboxRow[], synced?: () => void): Promise<void> {
    const job = this.execute(rows, synced);
    for (const row of rows) this.inFlight.set(row.studyUid, job);
    void job.finally(() => {
      for (const row of rows) if (this.inFlight.get(row.studyUid) === job) this.inFlight.delete(row.studyUid);
    });
    return job;
  }

  /** `synced`: called when the pass's results are settled, before their commit. */
  private async execute(rows: OutboxRow[], synced?: () => void): Promise<void> {
    const startedAt = this.now();
    for (const row of rows) this.lastRun.set(row.studyUid, startedAt);
    const uids = rows.map((r) => r.studyUid);
    const claims = new PassClaims(this.outbox, rows, this.now, this.logger);
    const studyWrites = this.router.open(uids);
    claims.start();
    let results: StudyResult[];
    let syncedAt = startedAt;
    try {
      results = await this.syncStudies(uids);
      syncedAt = this.now();
    } catch (e) {
      results = uids.map((studyUid) => ({ studyUid, error: e }));
    }
    // The claims' ends are final before the commit's check reads them (no renewal beside it).
    await claims.stop();
    if (claims.claiming) this.writes.add(claims.check());
    // The sync's own writes for each study (findings, holds, links), as guarded as its outbox completion.
    for (const [studyUid, op] of studyWrites.take()) this.writes.add(claims.guard(studyUid, op));
    const byUid = new Map(results.map((r) => [r.studyUid, r]));
    const events = rows.map((row) =>
      this.settle(
        row,
        byUid.get(row.studyUid) ?? { studyUid: row.studyUid, error: new Error('no result for the study') },
        claims,
      ),
    );
    // The next pass may sync while this commit runs, unless commits are already queued: then it
    // waits for this one (no pile of open transactions, each waiting for a connection).
    if (this.commitsPending === 0) synced?.();
    this.commitsPending++;
    const commit = this.commits.then(() => this.writes.flush());
    this.commits = commit.catch(() => undefined);
    try {
      await commit;
    } catch (e) {
      this.logger.error(
        { err: e },
        'sync worker: recording the results of a pass failed; its studies are synced again',
      );
    } finally {
      this.commitsPending--;
    }
    const end = this.now();
    this.logger.debug({ studies: rows.length, ms: end - startedAt, flushMs: end - syncedAt }, 'sync pass');
    for (const event of events) {
      if (!claims.holds(event.studyUid)) continue;
      for (const l of this.listeners) {
        try {
          l(event);
        } catch (err) {
          this.logger.error({ err }, 'sync worker: a sync listener failed');
        }
      }
    }
  }

  /**
   * The outbox and sync record of one study after its sync (collected; committed with the pass,
   * if the pass still holds the study's claim then).
   */
  private settle(row: OutboxRow, result: StudyResult, claims: PassClaims): SyncEvent {
    const add = (op: () => Awaitable<void>): void => this.writes.add(claims.guard(row.studyUid, op));
    if (result.outcome) {
      const outcome = result.outcome;
      const now = this.now();
      add(() =>
        andThen(this.outbox.complete(row.studyUid, row.seq, now), () =>
          this.outbox.record({
            studyUid: row.studyUid,
            outcome: outcome.kind,
            syncedAt: now,
            ...('id' in outcome && outcome.id ? { fhirId: outcome.id } : {}),
            ...('versionId' in outcome && outcome.versionId ? { versionId: outcome.versionId } : {}),
            ...('instances' in outcome ? { instances: outcome.instances } : {}),
          }),
        ),
      );
      this.logger.debug({ studyUid: row.studyUid, outcome: outcome.kind }, 'study synced');
      return { studyUid: row.studyUid, outcome };
    }
    const e = result.error;
    const error = describeFailure(e);
    const transient = isTransient(e);
    if (transient) {
      const delay = backoffMs(row.attempts, this.timings.retryBaseDelayMs, this.timings.retryMaxDelayMs);
      const at = this.now() + delay;
      add(() => this.outbox.retryLater(row.studyUid, at, error));
      this.logger.warn(
        { studyUid: row.studyUid, attempts: row.attempts + 1, retryInMs: delay, error },
        'study sync failed; will retry',
      );
    } else {
      add(() => this.outbox.park(row.studyUid, row.seq, error));
      this.logger.error(
        { studyUid: row.studyUid, error },
        'study sync failed permanently; parked in the dead-letter list',
      );
    }
    return { studyUid: row.studyUid, error, transient };
  }
}
