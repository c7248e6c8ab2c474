/** The scoring case table (cases/*.json) and the properties every score keeps. */
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { WORKLIST_DEFAULTS } from './config.js';
import { compareRank, scoreStudy, withAging } from './score.js';
import { buildCase, loadCases, NOW } from './test-support.js';
import { TERM_NAMES } from './types.js';

const all = loadCases();

describe('worklist scoring case table', () => {
  it('covers every term and every tier', () => {
    const terms = new Set(all.flatMap(({ c }) => c.expect.terms.map((t) => t.split(' ')[0])));
    expect([...TERM_NAMES].filter((t) => !terms.has(t))).toEqual([]);
    const tiers = new Set(all.map(({ c }) => c.expect.tier));
    expect(tiers.size).toBe(4);
  });

  for (const { file, c } of all) {
    it(`${file}: ${c.name}`, () => {
      const s = scoreStudy(buildCase(c), WORKLIST_DEFAULTS, NOW);
      expect(s.terms.map((t) => `${t.term} ${t.points}`)).toEqual(c.expect.terms);
      expect(s.score).toBe(c.expect.score);
      expect(s.tier).toBe(c.expect.tier);
      // The terms add up to the score, and each names what it read.
      expect(s.terms.reduce((sum, t) => sum + t.points, 0)).toBeCloseTo(s.score, 9);
      for (const t of s.terms) expect(t.evidence.length).toBeGreaterThan(0);
    });
  }
});

describe('worklist rank', () => {
  it('puts an override above any score, then score, then the older study', () => {
    const rows = [
      { key: 'a', overridden: false, score: 150, since: 10 },
      { key: 'b', overridden: true, score: 100, since: 30 },
      { key: 'c', overridden: false, score: 40, since: 20 },
      { key: 'd', overridden: false, score: 40, since: 5 },
    ];
    expect(rows.sort(compareRank).map((r) => r.key)).toEqual(['b', 'a', 'd', 'c']);
  });
});

describe('a score with aging', () => {
  it('has the same hidden class for every study (kept per study on the worklist)', () => {
    // V8's own check; the flag only lets this one function be compiled with it.
    setFlagsFromString('--allow-natives-syntax');
    const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
    setFlagsFromString('--no-allow-natives-syntax');
    const scores = Array.from({ length: 50 }, (_, i) =>
      withAging(
        { terms: [], overridden: i % 7 === 0, routine: i % 2 === 0 },
        NOW - i * 600_000,
        `ImagingStudy/s${i}`,
        WORKLIST_DEFAULTS,
        NOW,
      ),
    );
    expect(scores.filter((s) => !sameMap(s, scores[0]!)).length).toBe(0);
    expect(scores.map((s) => s.routine).slice(0, 2)).toEqual([true, false]);
  });
});
