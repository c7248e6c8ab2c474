/** Pure decisions of the watcher: which window to poll, whether a study needs syncing, what to retrieve. */
import type { RemoteInstance, RemoteStudy, RetrieveUnit } from './pacs.js';

export type StudyStatus = 'queued' | 'fetching' | 'done' | 'failed';

/** What we remember of one remote study (source_studies row). */
export interface StudyState {
  status: StudyStatus;
  /** Remote counts when the last sync completed. */
  syncedInstances: number | null;
  syncedSeries: number | null;
  attempts: number;
  /** Epoch ms before which a failed study is not tried again. */
  retryAt: number | null;
}

/** YYYYMMDD of the local calendar day `days` before `now`. */
export function dateDaysBefore(now: Date, days: number): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - days);
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * A poll trusts what we recorded: a study is synced again when the PACS's counts differ
 * from those of our last completed sync (or it never completed). A reconcile also checks
 * the index: fewer instances held than the PACS has (lost, or failed earlier) → sync.
 */
export function needsSync(
  remote: RemoteStudy,
  state: StudyState | undefined,
  held: number,
  reconcile: boolean,
  now: number,
): boolean {
  if (!state) return true;
  if (state.status === 'fetching') return false; // in flight (reset to queued at start-up)
  if (state.status === 'failed') return state.retryAt === null || state.retryAt <= now;
  if (state.status !== 'done') return true;
  if (remote.instances === undefined) return reconcile; // no counts from this PACS: reconcile decides
  if (state.syncedInstances !== remote.instances) return true;
  if (remote.series !== undefined && state.syncedSeries !== remote.series) return true;
  return reconcile && held < remote.instances;
}

/** Back-off after the n-th failed attempt: pollMs · 2ⁿ, at most an hour. */
export function retryDelayMs(attempts: number, pollMs: number): number {
  return Math.min(3_600_000, pollMs * 2 ** Math.min(attempts, 20));
}

/**
 * The fewest retrieve requests that bring the missing instances: the whole study when we
 * hold none of it, a whole series when we hold none of that series, else instance by instance.
 */
export function retrievalUnits(studyUid: string, remote: RemoteInstance[], held: ReadonlySet<string>): RetrieveUnit[] {
  const missing = remote.filter((i) => !held.has(i.sopUid));
  if (missing.length === 0) return [];
  if (missing.length === remote.length && held.size === 0) return [{ studyUid }];
  const bySeries = new Map<string, { all: number; missing: RemoteInstance[] }>();
  for (const i of remote) {
    const s = bySeries.get(i.seriesUid) ?? { all: 0, missing: [] };
    s.all++;
    if (!held.has(i.sopUid)) s.missing.push(i);
    bySeries.set(i.seriesUid, s);
  }
  const units: RetrieveUnit[] = [];
  for (const [seriesUid, s] of bySeries) {
    if (s.missing.length === 0) continue;
    if (s.missing.length === s.all) units.push({ studyUid, seriesUid });
    else for (const i of s.missing) units.push({ studyUid, seriesUid, sopUid: i.sopUid });
  }
  return units;
}
