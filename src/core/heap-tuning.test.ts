import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { reduceHeapWhenIdle } from './heap-tuning.js';

/** Keeps the event loop busy (synchronous work in every turn) for `ms`. */
async function busyFor(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const turn = Date.now() + 20;
    while (Date.now() < turn) Math.sqrt(Math.random());
    await new Promise((r) => setImmediate(r));
  }
}

describe('reduceHeapWhenIdle', () => {
  it('collects once idle after the heap grew, gives memory back, and leaves gc unexposed', async () => {
    let garbage: unknown[] | undefined = Array.from({ length: 400_000 }, (_, i) => ({ i, s: `x${i}` }));
    const grown = process.memoryUsage().heapUsed;
    garbage = undefined;
    const reducer = reduceHeapWhenIdle({ intervalMs: 50, minGrowthBytes: 1 });
    try {
      await expect.poll(() => reducer.collections, { timeout: 10_000, interval: 50 }).toBeGreaterThan(0);
      expect(garbage).toBeUndefined();
      expect(process.memoryUsage().heapUsed).toBeLessThan(grown);
      expect(runInNewContext('typeof gc')).toBe('undefined');
    } finally {
      reducer.stop();
    }
  });

  it('never collects while the event loop is busy, nor when the heap did not grow enough', async () => {
    const reducer = reduceHeapWhenIdle({ intervalMs: 50, minGrowthBytes: 1 });
    const untouched = reduceHeapWhenIdle({ intervalMs: 50, minGrowthBytes: 64 * 1024 ** 3 });
    try {
      await busyFor(600);
      expect(reducer.collections).toBe(0);
      await expect.poll(() => reducer.collections, { timeout: 10_000, interval: 50 }).toBeGreaterThan(0);
      expect(untouched.collections).toBe(0);
    } finally {
      reducer.stop();
      untouched.stop();
    }
  });
});
