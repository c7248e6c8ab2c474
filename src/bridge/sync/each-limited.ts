/** Bridge passes share the server's event loop with DIMSE and HTTP: how they give it back. */

export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * How long the items of one eachLimited run on the loop before they give it back. Short enough
 * that a C-STORE answer waiting for its fsync callback waits a few ms, long enough that a pass
 * of small studies is not one loop turn per study: each turn also serves every HTTP request
 * ready then (100 clients polling FHIR during P7: a turn per study made a 16-study pass wait
 * for 16 rounds of them, ~0.2–0.8 s on a busy 2-core machine, instead of a few).
 */
export const SLICE_MS = 5;

/**
 * Runs `task` for each item, `limit` at a time. Items start in slices of `sliceMs`: once the
 * items started since the last yield have run that long, the next one starts in the next
 * event-loop turn, so DIMSE and HTTP requests interleave (on SQLite a task hardly ever waits,
 * and lanes woken together would otherwise run back to back, whatever their number). The first
 * item starts in the next turn too (the caller's turn is not lengthened).
 */
export async function eachLimited<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
  sliceMs = SLICE_MS,
): Promise<void> {
  let next = 0;
  let sliceStart = Number.NEGATIVE_INFINITY;
  /** Items started in this slice (one counted before the first: it waits for the next turn too). */
  let started = 1;
  let pending: Promise<void> | undefined;
  // One yield at a time, shared by the lanes; the slice starts again once it ran.
  const yieldOnce = (): Promise<void> =>
    (pending ??= yieldToLoop().then(() => {
      pending = undefined;
      sliceStart = performance.now();
      started = 0;
    }));
  const lane = async (): Promise<void> => {
    for (;;) {
      // Checked again after each yield: lanes resumed by the same one start items only while the
      // slice lasts (and one at least: a slice of 0 is one item per turn).
      while (pending || (started > 0 && performance.now() - sliceStart >= sliceMs)) await yieldOnce();
      if (next >= items.length) return;
      started++;
      await task(items[next++]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
