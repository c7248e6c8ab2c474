/**
 * One sorted worklist (the unread studies, or all), kept between changes instead of sorted again:
 * a study scored again is taken out and put back by binary search, and as time passes only the
 * rows whose aging term reads differently are scored again (the rest keep their place and their
 * rendered JSON). Under a study and an AI result each second, a full sort of ~2,400 rows on each
 * change was the worklist's main stall (docs/worklist.md "Keeping the order").
 */
import { compareRank, type Rankable, type Score, type WorklistConfig } from '../../clinical/worklist/index.js';

/** Aging is taken at the read time rounded down to this: a point can be this late (docs/worklist.md). */
export const AGING_TICK_MS = 5_000;
const MINUTE = 60_000;

export interface RankedRow<E> extends Rankable {
  readonly entry: E;
  readonly s: Score;
  /** When this row's aging term next reads differently (a point, or the "waiting N min" of its reason). */
  readonly changesAt: number;
  /** The item's JSON before and after its rank, rendered when first shown (a row is replaced when it changes). */
  json?: { head: string; tail: string };
}

/**
 * When the aging term of a study waiting since `since` reads differently after `at`: its first
 * point, then each point and each minute (the reason names the minutes waited). Mirrors agingTerm.
 */
export function agingChangesAt(
  since: number | undefined,
  routine: boolean,
  aging: WorklistConfig['aging'],
  at: number,
): number {
  if (since === undefined || aging.cap <= 0) return Number.POSITIVE_INFINITY;
  const step = (routine ? aging.routineMinutes : aging.nonRoutineMinutes) * MINUTE;
  if (at < since + step) return since + step;
  const points = Math.floor((at - since) / step);
  const nextPoint = points < aging.cap ? since + (points + 1) * step : Number.POSITIVE_INFINITY;
  return Math.min(nextPoint, since + (Math.floor((at - since) / MINUTE) + 1) * MINUTE);
}

export interface RankingSource<E extends { id: string }> {
  entries(): Iterable<E>;
  /** Whether the entry belongs on this list (e.g. unread). */
  includes(entry: E): boolean;
  /** The entry's row with aging at `at`. */
  rowOf(entry: E, at: number): RankedRow<E>;
}

export class Ranking<E extends { id: string }> {
  private rows: RankedRow<E>[] = [];
  private readonly byId = new Map<string, RankedRow<E>>();
  /** The tick the rows are aged at; undefined until first read (or after reset). */
  private at: number | undefined;
  /** Grows whenever a row is added, moved, replaced or removed: what was rendered from the rows is valid while it holds. */
  generation = 0;

  constructor(private readonly source: RankingSource<E>) {}

  /** The rows in worklist order, aged at `now` rounded down to the tick. Do not modify. */
  sorted(now: number): readonly RankedRow<E>[] {
    const at = Math.floor(now / AGING_TICK_MS) * AGING_TICK_MS;
    if (this.at === undefined || at < this.at) this.rebuild(at);
    else if (at > this.at) this.advance(at);
    return this.rows;
  }

  /** 1-based place of an entry at `now`; undefined when it is not on this list. */
  rankOf(id: string, now: number): number | undefined {
    this.sorted(now);
    const row = this.byId.get(id);
    return row ? this.indexOf(row) + 1 : undefined;
  }

  /** The entry was added or scored again (or left the list): its row is put where it now belongs. */
  update(entry: E): void {
    if (this.at === undefined) return;
    this.generation++;
    this.drop(entry.id);
    if (this.source.includes(entry)) this.insert(this.source.rowOf(entry, this.at));
  }

  remove(id: string): void {
    if (this.at !== undefined && this.byId.has(id)) {
      this.generation++;
      this.drop(id);
    }
  }

  /** Every entry changed (e.g. all scored again): sorted afresh at the next read. */
  reset(): void {
    this.generation++;
    this.at = undefined;
    this.rows = [];
    this.byId.clear();
  }

  private rebuild(at: number): void {
    this.byId.clear();
    const rows: RankedRow<E>[] = [];
    for (const e of this.source.entries()) {
      if (!this.source.includes(e)) continue;
      const row = this.source.rowOf(e, at);
      rows.push(row);
      this.byId.set(e.id, row);
    }
    rows.sort(compareRank);
    this.generation++;
    this.rows = rows;
    this.at = at;
  }

  /** Time passed: the rows whose aging reads differently are scored again; only those whose score moved are moved. */
  private advance(at: number): void {
    const due = this.rows.filter((r) => r.changesAt <= at);
    this.at = at;
    if (due.length) this.generation++;
    // Many at once (a long pause between reads): one sort costs less than many moves.
    if (due.length > 64 && due.length > this.rows.length / 8) return this.rebuild(at);
    for (const old of due) {
      const row = this.source.rowOf(old.entry, at);
      if (row.score === old.score) {
        // Same score, same place (the other sort keys do not age).
        this.rows[this.indexOf(old)] = row;
        this.byId.set(old.entry.id, row);
      } else {
        this.drop(old.entry.id);
        this.insert(row);
      }
    }
  }

  private drop(id: string): void {
    const row = this.byId.get(id);
    if (!row) return;
    this.rows.splice(this.indexOf(row), 1);
    this.byId.delete(id);
  }

  private insert(row: RankedRow<E>): void {
    this.rows.splice(this.lowerBound(row), 0, row);
    this.byId.set(row.entry.id, row);
  }

  /** First index whose row does not sort before `row`. */
  private lowerBound(row: Rankable): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareRank(this.rows[mid]!, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(row: RankedRow<E>): number {
    // Rows comparing equal (two studies sharing a UID) sit side by side: look among them.
    for (let i = this.lowerBound(row); i < this.rows.length; i++) if (this.rows[i] === row) return i;
    throw new Error('worklist ranking: a row is missing from its sorted list');
  }
}
