import { afterEach, describe, expect, it, vi } from 'vitest';
import { SlabPool } from './slab-pool.js';

describe('slab pool shared by retrieves', () => {
  afterEach(() => vi.useRealTimers());

  it('hands back given slabs before allocating, up to its spare limit', () => {
    const pool = new SlabPool(64, 2, 1000);
    const [a, b, c] = [pool.take(), pool.take(), pool.take()];
    expect(new Set([a.buffer, b.buffer, c.buffer]).size).toBe(3);
    expect(a.length).toBe(64);
    pool.give([a, b, c, a]);
    expect(pool.spareCount).toBe(2);
    const again = [pool.take(), pool.take()];
    expect(again).toEqual(expect.arrayContaining([a, b]));
    expect(pool.take()).not.toBe(c);
    pool.close();
  });

  it('ignores slabs of another size and the same slab given twice', () => {
    const pool = new SlabPool(64, 4, 1000);
    const a = pool.take();
    pool.give([a, Buffer.allocUnsafeSlow(32)]);
    pool.give([a]);
    expect(pool.spareCount).toBe(1);
    pool.close();
  });

  it('lets its spare slabs go after a quiet spell, and on close', () => {
    vi.useFakeTimers();
    const pool = new SlabPool(64, 4, 1000);
    pool.give([pool.take(), pool.take()]);
    vi.advanceTimersByTime(900);
    pool.give([pool.take()]); // activity: the quiet spell starts again
    vi.advanceTimersByTime(900);
    expect(pool.spareCount).toBe(2);
    vi.advanceTimersByTime(200);
    expect(pool.spareCount).toBe(0);
    pool.give([pool.take()]);
    expect(pool.spareCount).toBe(1);
    pool.close();
    expect(pool.spareCount).toBe(0);
  });
});
