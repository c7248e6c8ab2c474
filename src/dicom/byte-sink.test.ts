import { describe, expect, it } from 'vitest';
import { ByteSink } from './byte-sink.js';

/** The bytes a sink was given, in order: what it must hand back. */
function expected(parts: (number[] | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
}

describe('ByteSink', () => {
  it('hands back small writes, values kept by reference and takes in between, in order', () => {
    const sink = new ByteSink(true);
    const big = Buffer.alloc(10_000, 7);
    sink.u16(0x0201);
    sink.u32(0x06050403);
    sink.bytes(Buffer.from([8, 9]));
    const first = sink.take();
    const firstCopy = Buffer.concat(first);
    sink.bytes(big); // kept by reference: the block goes on after it
    sink.u16(0x0b0a);
    const tail = Buffer.alloc(3000, 0x0c);
    for (let i = 0; i < 40; i++) sink.bytes(tail); // 120 KB of small writes: blocks grow and fill
    const rest = sink.toBuffer();
    expect(Buffer.concat(first)).toEqual(firstCopy); // later writes in the same block did not touch it
    expect(Buffer.concat([...first, rest])).toEqual(
      expected([[1, 2, 3, 4, 5, 6, 8, 9], big, [0x0a, 0x0b], ...Array.from({ length: 40 }, () => tail)]),
    );
    expect(sink.length).toBe(8 + 10_000 + 2 + 120_000);
    expect(sink.pendingBytes()).toBe(0);
  });

  it('writes big-endian when told', () => {
    const sink = new ByteSink(false);
    sink.u16(0x0102);
    sink.u32(0x03040506);
    expect(sink.toBuffer()).toEqual(Buffer.from([1, 2, 3, 4, 5, 6]));
  });

  it('takes no 64 KB block for a few bytes, nor a new block at each take (issue 21)', () => {
    const sink = new ByteSink(true);
    sink.u32(1);
    const [a] = sink.take();
    sink.u32(2);
    const [b] = sink.take();
    // Both takes are views of one small block (Node's shared 8 KB pool or a 1 KB block), not of two 64 KB ones.
    expect(a!.buffer).toBe(b!.buffer);
    expect(a!.buffer.byteLength).toBeLessThan(64 * 1024);
    expect(Buffer.concat([a!, b!])).toEqual(Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]));
  });
});
