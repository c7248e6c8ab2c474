/** Bridge passes share the server's event loop with DIMSE and HTTP: how they give it back. */

export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `task` for each item, `limit` at a time, one item starting per event-loop turn: between
 * two items the loop polls, so DIMSE and HTTP requests interleave (a C-STORE answer waiting for
 * its fsync callback waits for one study's synchronous work, not for `limit` of them: on SQLite
 * a task hardly ever waits, and lanes woken together would otherwise run back to back).
 */
export async function eachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let turns: Promise<void> = Promise.resolve();
  // Chained: each turn's setImmediate is queued once the one before ran, i.e. in the next loop turn.
  const turn = (): Promise<void> => (turns = turns.then(yieldToLoop));
  const lane = async (): Promise<void> => {
    for (;;) {
      await turn();
      if (next >= items.length) return;
      await task(items[next++]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
