import { describe, expect, it } from 'vitest';
import { RetrieveBuffers } from './retrieve-buffers.js';
import { SlabPool } from './slab-pool.js';

describe('read buffers of a retrieve', () => {
  it('hands out nothing without the consumer’s progress: every read allocates', () => {
    const buffers = new RetrieveBuffers(1024, 2);
    expect(buffers.acquire()).toBeUndefined();
    expect(buffers.done).toBe(0);
  });

  it('refills a slab only once the consumer is done with every byte yielded from it', () => {
    let held = 0;
    const buffers = new RetrieveBuffers(1024, 2);
    buffers.trackedBy({ held: () => held });
    const a = buffers.acquire()!;
    expect(a.bytes.length).toBe(1024);
    buffers.release(a, buffers.yieldedBytes(1000)); // a's bytes end at body offset 1000
    held = 600; // 400 done: a still partly queued
    const b = buffers.acquire()!;
    expect(b.bytes.buffer).not.toBe(a.bytes.buffer);
    // Two slabs at most: none free, none new.
    expect(buffers.acquire()).toBeUndefined();
    held = 1; // 999 done: still one byte of a out
    expect(buffers.acquire()).toBeUndefined();
    held = 0;
    expect(buffers.acquire()).toBe(a);
    // b was never released: it stays out even with everything sent.
    buffers.yieldedBytes(500);
    expect(buffers.done).toBe(1500);
    expect(buffers.acquire()).toBeUndefined();
  });
});

describe('read buffers of a retrieve with a shared pool', () => {
  it('takes its slabs from the pool and gives them all back once the body has been sent', () => {
    const pool = new SlabPool(1024, 4);
    const first = new RetrieveBuffers(1024, 2, pool);
    first.trackedBy({ held: () => 0 });
    const a = first.acquire()!;
    const b = first.acquire()!;
    expect(pool.spareCount).toBe(0);
    first.release(a, first.yieldedBytes(1000));
    first.sent();
    expect(pool.spareCount).toBe(2);
    // Nothing more from a retrieve that has ended.
    expect(first.acquire()).toBeUndefined();

    const second = new RetrieveBuffers(1024, 2, pool);
    second.trackedBy({ held: () => 0 });
    const reused = [second.acquire()!.bytes.buffer, second.acquire()!.bytes.buffer];
    expect(reused).toEqual(expect.arrayContaining([a.bytes.buffer, b.bytes.buffer]));
    expect(pool.spareCount).toBe(0);
    pool.close();
  });

  it('keeps nothing from a retrieve that never says its body was sent (an aborted response)', () => {
    const pool = new SlabPool(1024, 4);
    const aborted = new RetrieveBuffers(1024, 2, pool);
    aborted.trackedBy({ held: () => 0 });
    aborted.acquire();
    const next = new RetrieveBuffers(1024, 2, pool);
    next.trackedBy({ held: () => 0 });
    next.acquire();
    expect(pool.spareCount).toBe(0);
    pool.close();
  });

  it('refuses a pool of another slab size', () => {
    expect(() => new RetrieveBuffers(1024, 2, new SlabPool(2048))).toThrow(/pool of 2048/);
  });
});
