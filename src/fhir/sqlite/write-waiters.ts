/**
 * How many writes of the server's own connection are waiting for fhir.sqlite's write lock, in
 * memory shared with the threads of secondary writers (the audit projection thread): a secondary
 * writer checks it before each of its transactions and lets the waiting writes go first.
 *
 * Without it the server's writes starve behind a secondary writer that commits in a loop: the
 * server's WriteLock retries BEGIN IMMEDIATE on a timer (up to 25 ms apart), the other thread
 * takes the lock again a few microseconds after each commit, and the retry almost never lands in
 * that gap, so a write could wait out its whole bound (503) during a long catch-up.
 */
/** Atomics.waitAsync (V8, Node ≥ 16), typed here: ES2024 is not in this project's lib. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      i: number,
      v: number,
      timeoutMs: number,
    ): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

export class WriteWaiters {
  private readonly count: Int32Array;

  /** `buffer`: another thread's counter (from `buffer` of that thread's instance); new by default. */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.count = new Int32Array(buffer);
  }

  /** Writes waiting now. */
  get waiting(): number {
    return Atomics.load(this.count, 0);
  }

  /** A write starts waiting; call the returned function (once is enough) when it has the lock or gives up. */
  enter(): () => void {
    Atomics.add(this.count, 0, 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      Atomics.sub(this.count, 0, 1);
      Atomics.notify(this.count, 0);
    };
  }

  /**
   * Resolves once no write waits, or after `maxMs` (so that a steady stream of waiting writes
   * cannot hold the secondary writer off for ever); to how long it waited (ms).
   */
  async none(maxMs: number): Promise<number> {
    const started = performance.now();
    for (;;) {
      const n = Atomics.load(this.count, 0);
      const left = maxMs - (performance.now() - started);
      if (n <= 0 || left <= 0) return performance.now() - started;
      // Woken by the notify of enter()'s release; the timer bounds the wait (and keeps the event
      // loop alive: a pending Atomics.waitAsync alone does not).
      const { async, value } = waitAsync(this.count, 0, n, left);
      if (!async) continue;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([value, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(1, left))))]);
      clearTimeout(timer);
    }
  }
}
