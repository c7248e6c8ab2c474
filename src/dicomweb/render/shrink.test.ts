import { describe, expect, it } from 'vitest';
import { preShrinkFactor, shrinkBox } from './shrink.js';

describe('box shrink before sharp', () => {
  it('averages each k×k block, rounding, per channel', () => {
    // 4×2 RGB: left 2×2 block red 10/20 mixed, right block blue 255 and 0.
    const pixels = Buffer.from(
      [
        [10, 0, 0, 20, 0, 0, 0, 0, 255, 0, 0, 0],
        [10, 0, 0, 21, 0, 0, 0, 0, 255, 0, 0, 0],
      ].flat(),
    );
    const out = shrinkBox({ width: 4, height: 2, channels: 3, pixels }, 2);
    expect([out.width, out.height, out.channels]).toEqual([2, 1, 3]);
    expect([...out.pixels]).toEqual([15, 0, 0, 0, 0, 128]); // 61/4 = 15.25, 510/4 = 127.5 → 128
  });

  it('averages the smaller blocks of the last row and column over the pixels they have', () => {
    // 5×5 gray, value = column index × 10: blocks of 2 → 3×3, last column holds one column.
    const pixels = Buffer.alloc(25);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) pixels[y * 5 + x] = x * 10;
    const out = shrinkBox({ width: 5, height: 5, channels: 1, pixels }, 2);
    expect([out.width, out.height]).toEqual([3, 3]);
    expect([...out.pixels]).toEqual([5, 25, 40, 5, 25, 40, 5, 25, 40]);
  });

  it('leaves the image alone for a factor below 2', () => {
    const img = { width: 2, height: 1, channels: 1 as const, pixels: Buffer.from([1, 2]) };
    expect(shrinkBox(img, 1)).toBe(img);
  });

  it('shrinks by the whole-number part of the reduction, never below 1', () => {
    expect(preShrinkFactor(512, 512, 128, 128)).toBe(4);
    expect(preShrinkFactor(500, 300, 128, 128)).toBe(3); // fits by width: 3.9×
    expect(preShrinkFactor(512, 512, 300, 300)).toBe(1);
    expect(preShrinkFactor(64, 64, 128, 128)).toBe(1);
  });
});
