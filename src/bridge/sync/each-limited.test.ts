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

// On SQLite a study's sync hardly ever waits: lanes woken in the same turn would run their
// studies back to back, and a C-STORE answer due meanwhile would wait for all of them.
it('starts one item per event-loop turn, whatever the number of lanes', async () => {
  const turns = loopTurns();
  const startedAt: number[] = [];
  await eachLimited([1, 2, 3, 4, 5, 6, 7, 8], 4, async () => {
    startedAt.push(turns.now());
  });
  turns.stop();
  expect(startedAt).toHaveLength(8);
  expect(new Set(startedAt).size).toBe(8);
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
