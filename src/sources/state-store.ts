/**
 * The persisted cursor and state of each source (restart-safe): when it last polled and
 * reconciled, and per remote study the counts of the last sync. Implementations: SQLite in the
 * archive database (sqlite-state-store.ts), PostgreSQL (pg-state-store.ts); both pass
 * `sourceStateSuite` (state-test-support.ts). Times are epoch milliseconds.
 */
import type { RemoteStudy } from './pacs.js';
import type { StudyState, StudyStatus } from './plan.js';

export interface SourceRow {
  name: string;
  kind: string;
  mode: string;
  endpoint: string;
  lastPollAt: number | null;
  lastPollOkAt: number | null;
  lastReconcileAt: number | null;
  lastWindowFrom: string | null;
  lastError: string | null;
  polls: number;
}

export interface SourceStatus extends SourceRow {
  studies: Record<StudyStatus, number>;
  instancesFetched: number;
  /** Failed studies with their reasons (at most 20, the most recently failed first). */
  failures: { studyUid: string; error: string; attempts: number }[];
}

export interface SourceStateStore {
  /** Registers a configured source (kind, mode, endpoint replaced); a study left `fetching` by a crash is queued again. */
  register(s: { name: string; kind: string; mode: string; endpoint: string }, now: number): Promise<void>;
  /**
   * Records the source's Endpoint choice; true when it differs from the recorded one (a source
   * recorded before the choice existed had `ours`). Call after register().
   */
  endpointChoiceChanged(name: string, choice: string): Promise<boolean>;
  /** Every study the source has seen. */
  studiesOf(name: string): Promise<string[]>;
  /** The source's row; undefined when never registered. */
  source(name: string): Promise<SourceRow | undefined>;
  /** A poll ended; with `error` the last good poll, window and reconcile times are kept. */
  pollFinished(
    name: string,
    r: { at: number; windowFrom: string | undefined; reconcile: boolean; error?: string },
  ): Promise<void>;
  study(source: string, studyUid: string): Promise<StudyState | undefined>;
  /** The PACS answered these studies in a poll: remember their counts (status unchanged, or queued when new). One commit. */
  seen(source: string, studies: RemoteStudy[], now: number): Promise<void>;
  /**
   * `reconcile --apply`: the study is fetched again on the source's next poll, which is made a
   * full reconcile (its window covers older studies than the look-back). One commit.
   */
  requeue(source: string, studyUid: string, studyDate: string | undefined, now: number): Promise<void>;
  fetching(source: string, studyUid: string, now: number): Promise<void>;
  /** The study synced: counts recorded, attempts reset, `fetched` added to the total. */
  done(
    source: string,
    studyUid: string,
    r: { instances: number | null; series: number | null; fetched: number; dicomwebUrl?: string; now: number },
  ): Promise<void>;
  /** The sync failed: one more attempt, retried at `retryAt`, `fetched` added to the total. */
  failed(
    source: string,
    studyUid: string,
    r: { error: string; retryAt: number; fetched: number; now: number },
  ): Promise<void>;
  /** Every registered source, by name, with its study counts. */
  status(): Promise<SourceStatus[]>;
}
