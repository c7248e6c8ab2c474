import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import { collectStartUpGarbage, reduceHeapWhenIdle } from './heap-tuning.js';

/** Keeps the event loop busy (synchronous work in every turn) for `ms`. */
async function busyFor(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const turn = Date.now() + 20;
    while (Date.now() < turn) Math.sqrt(Math.random());
    await new Promise((r) => setImmediate(r));
  }
}

function oldSpace(): { committed: number; used: number } {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'old_space');
  return { committed: s?.space_size ?? 0, used: s?.space_used_size ?? 0 };
}

describe('collectStartUpGarbage', () => {
  it('collects the garbage in old space and gives its pages back, leaving gc unexposed', () => {
    // Promoted garbage interleaved with survivors: what a start-up leaves in the old space.
    let garbage: unknown[] | undefined = Array.from({ length: 600_000 }, (_, i) => ({ i, s: `start-up ${i}` }));
    const survivors = garbage.filter((_, i) => i % 500 === 0);
    const before = oldSpace();
    garbage = undefined;
    collectStartUpGarbage();
    const after = oldSpace();
    expect(garbage).toBeUndefined();
    expect(survivors).toHaveLength(1200);
    expect(before.used - after.used).toBeGreaterThan(20 * 1024 ** 2);
    // Compacted: the survivors moved onto few pages instead of holding one page each.
    expect(after.committed).toBeLessThan(before.committed - 20 * 1024 ** 2);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});

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
