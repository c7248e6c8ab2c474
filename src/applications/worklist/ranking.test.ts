import { describe, expect, it } from 'vitest';
import { type BaseScore, compareRank, withAging, WORKLIST_DEFAULTS } from '../../clinical/worklist/index.js';
import { Rng } from '../../demo/prng.js';
import { AGING_TICK_MS, agingChangesAt, type RankedRow, Ranking } from './ranking.js';

interface E {
  id: string;
  base: BaseScore;
  since?: number;
  read: boolean;
}

const config = WORKLIST_DEFAULTS;
/** A row as compared: the study, its score, tier and every term's reason. */
const brief = (r: RankedRow<E>) => `${r.entry.id} ${r.s.score} ${r.s.tier} ${r.s.terms.map((t) => t.reason).join('|')}`;
const rowOf = (e: E, at: number): RankedRow<E> => {
  const s = withAging(e.base, e.since, `ImagingStudy/${e.id}`, config, at);
  const changesAt = agingChangesAt(e.since, e.base.routine, config.aging, at);
  return { entry: e, s, overridden: s.overridden, score: s.score, since: e.since, key: e.id, changesAt };
};
/** What a fresh sort at `now` gives: the reference the kept list must equal. */
const fresh = (entries: Map<string, E>, now: number) => {
  const at = Math.floor(now / AGING_TICK_MS) * AGING_TICK_MS;
  return [...entries.values()]
    .filter((e) => !e.read)
    .map((e) => rowOf(e, at))
    .sort(compareRank)
    .map(brief);
};

function randomEntry(rng: Rng, id: string, now: number): E {
  const points = rng.int(0, 6) * 5;
  const routine = rng.int(0, 1) === 0;
  return {
    id,
    base: {
      terms: points ? [{ term: 'order', points, reason: 'order priority', evidence: [] }] : [],
      overridden: rng.int(0, 30) === 0,
      routine,
    },
    ...(rng.int(0, 20) === 0 ? {} : { since: now - rng.int(0, 48 * 60) * 60_000 - rng.int(0, 59_999) }),
    read: rng.int(0, 10) === 0,
  };
}

describe('a kept worklist ranking', () => {
  it('equals a fresh sort after every change and as time passes (aging points and minutes)', () => {
    const rng = Rng.stream(7, 'ranking');
    let now = Date.UTC(2026, 11, 6, 12, 0, 0);
    const entries = new Map<string, E>();
    for (let i = 0; i < 400; i++) entries.set(`s${i}`, randomEntry(rng, `s${i}`, now));
    const ranking = new Ranking<E>({ entries: () => entries.values(), includes: (e) => !e.read, rowOf });
    const kept = () => ranking.sorted(now).map(brief);
    expect(kept()).toEqual(fresh(entries, now));
    let next = 400;
    for (let step = 0; step < 300; step++) {
      const what = rng.int(0, 5);
      if (what === 0) {
        const e = randomEntry(rng, `s${next++}`, now);
        entries.set(e.id, e);
        ranking.update(e);
      } else if (what === 1) {
        const id = [...entries.keys()][rng.int(0, entries.size - 1)]!;
        entries.delete(id);
        ranking.remove(id);
      } else if (what === 2) {
        // Scored again (a new object, as the service's index makes): new points, maybe read.
        const id = [...entries.keys()][rng.int(0, entries.size - 1)]!;
        const e = { ...randomEntry(rng, id, now), since: entries.get(id)!.since };
        entries.set(id, e);
        ranking.update(e);
      } else now += rng.int(0, 4) === 0 ? rng.int(1, 40) * 60_000 : rng.int(0, 20_000);
      expect(kept(), `step ${step}`).toEqual(fresh(entries, now));
    }
    expect(ranking.rankOf('s0', now)).toBe(
      entries.get('s0') && !entries.get('s0')!.read
        ? fresh(entries, now).findIndex((r) => r.startsWith('s0 ')) + 1
        : undefined,
    );
  });

  it('keeps a row (and its rendered JSON) and its generation until its aging reads differently', () => {
    const now = Date.UTC(2026, 11, 6, 12, 0, 0);
    const e: E = {
      id: 'a',
      base: { terms: [], overridden: false, routine: false },
      since: now - 25 * 60_000,
      read: false,
    };
    const ranking = new Ranking<E>({ entries: () => [e], includes: () => true, rowOf });
    const first = ranking.sorted(now)[0]!;
    first.json = { head: '{', tail: '}' };
    expect(first.s.terms[0]?.reason).toMatch(/^waiting 25 min/);
    const generation = ranking.generation;
    expect(ranking.sorted(now + 30_000)[0]).toBe(first);
    expect(ranking.generation).toBe(generation);
    const later = ranking.sorted(now + 60_000)[0]!;
    expect(ranking.generation).toBeGreaterThan(generation);
    expect(later).not.toBe(first);
    expect(later.json).toBeUndefined();
    expect(later.s.terms[0]?.reason).toMatch(/^waiting 26 min/);
  });

  it('tells when aging next changes: the first point, then each minute, no point past the cap', () => {
    const aging = { nonRoutineMinutes: 10, routineMinutes: 60, cap: 2 };
    const t0 = 1_000_000_000;
    expect(agingChangesAt(undefined, false, aging, t0)).toBe(Number.POSITIVE_INFINITY);
    expect(agingChangesAt(t0, false, aging, t0 + 60_000)).toBe(t0 + 10 * 60_000);
    expect(agingChangesAt(t0, true, aging, t0 + 60_000)).toBe(t0 + 60 * 60_000);
    expect(agingChangesAt(t0, false, aging, t0 + 10 * 60_000 + 5)).toBe(t0 + 11 * 60_000);
    expect(agingChangesAt(t0, false, aging, t0 + 99 * 60_000)).toBe(t0 + 100 * 60_000);
    expect(agingChangesAt(t0, false, { ...aging, cap: 0 }, t0 + 99 * 60_000)).toBe(Number.POSITIVE_INFINITY);
  });
});
