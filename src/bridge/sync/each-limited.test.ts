import { expect, it } from 'vitest';
import { eachLimited } from './each-limited.js';

/** Counts event-loop turns: one increment per check phase while it runs. */
function loopTurns(): { now(): number; stop(): void } {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turns, stop: () => (running = false) };
}

const burn = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

// On SQLite a study's sync hardly ever waits: lanes woken in the same turn would run their
// studies back to back, and a C-STORE answer due meanwhile would wait for all of them.
it('gives the loop back once the items of a turn ran for the slice, whatever the number of lanes', async () => {
  const turns = loopTurns();
  const startedAt: number[] = [];
  await eachLimited(
    [1, 2, 3, 4, 5, 6, 7, 8],
    4,
    async () => {
      startedAt.push(turns.now());
      burn(3);
    },
    2,
  );
  turns.stop();
  expect(startedAt).toHaveLength(8);
  expect(new Set(startedAt).size).toBe(8);
});

it('starts cheap items in one turn while the slice lasts, not in one turn each', async () => {
  const turns = loopTurns();
  const before = turns.now();
  const startedAt: number[] = [];
  await eachLimited(
    Array.from({ length: 50 }, (_, i) => i),
    8,
    async () => {
      startedAt.push(turns.now());
    },
    1000,
  );
  turns.stop();
  expect(startedAt).toHaveLength(50);
  expect(new Set(startedAt).size).toBe(1);
  // Not in the caller's turn: the first item waits for the next one.
  expect(startedAt[0]).toBeGreaterThan(before);
});

it('keeps `limit` items in flight while they wait, and runs each item once', async () => {
  let inFlight = 0;
  let most = 0;
  const done: number[] = [];
  await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    done.push(n);
  });
  expect(most).toBe(3);
  expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
});

it('runs nothing for no items', async () => {
  let calls = 0;
  await eachLimited([], 8, async () => {
    calls++;
  });
  expect(calls).toBe(0);
});

it('with a slice of 0, starts one item per turn', async () => {
  const turns = loopTurns();
  const startedAt: number[] = [];
  await eachLimited([1, 2, 3, 4, 5], 3, async () => void startedAt.push(turns.now()), 0);
  turns.stop();
  expect(new Set(startedAt).size).toBe(5);
});
