import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { HeldBytes } from './held-bytes.js';
import { memoryFirstWriter } from './memory-first-writer.js';

describe('HeldBytes (an object held as the chunks it arrived in)', () => {
  const whole = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
  const cuts = [0, 1, 64, 65, 500, 999, 1000];
  const chunks = cuts.slice(1).map((end, i) => whole.subarray(cuts[i]!, end));

  it('reads any range across the chunks, byte for byte', () => {
    const src = new HeldBytes(chunks, whole.length).source();
    for (let offset = 0; offset < whole.length; offset += 7)
      for (const length of [0, 1, 2, 63, 64, 500, whole.length - offset])
        if (offset + length <= whole.length)
          expect(src.read(offset, length).equals(whole.subarray(offset, offset + length))).toBe(true);
  });

  it('hands out a view, not a copy, when the range lies in one chunk', () => {
    const src = new HeldBytes(chunks, whole.length).source();
    expect(src.read(100, 200).buffer).toBe(whole.buffer);
  });

  it('refuses reads outside the object with a parse error', () => {
    const src = new HeldBytes(chunks, whole.length).source();
    expect(() => src.read(990, 11)).toThrow(/outside the 1000-byte object/);
    expect(() => src.read(-1, 1)).toThrow(/outside/);
  });

  it('joins the chunks once, when asked', () => {
    const held = new HeldBytes(chunks, whole.length);
    expect(held.whole().equals(whole)).toBe(true);
    expect(held.whole()).toBe(held.whole());
  });

  it('a memory-first writer hands over chunk by chunk and keeps their CRC-32 as they arrive', async () => {
    let held: HeldBytes | undefined;
    const writer = memoryFirstWriter(
      4096,
      () => Promise.reject(new Error('no overflow expected')),
      async (bytes) => {
        held = bytes;
        return { key: 'k', journaled: false };
      },
      { crc: true },
    );
    expect(writer.holdsInMemory?.()).toBe(true);
    for (const c of chunks) await writer.writev([c]);
    await (await writer.seal()).commit({ key: 'k', sopUid: '1.2', source: 'test' });
    expect(held!.crc).toBe(crc32(whole));
    expect(Buffer.concat(held!.chunks as Buffer[]).equals(whole)).toBe(true);
  });
});
