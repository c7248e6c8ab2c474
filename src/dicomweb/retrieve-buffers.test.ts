import { describe, expect, it } from 'vitest';
import { RetrieveBuffers } from './retrieve-buffers.js';

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
