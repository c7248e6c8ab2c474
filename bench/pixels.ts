/** Deterministic synthetic pixel data (little-endian 16-bit or 8-bit, MONOCHROME2). */
import { streamSeed } from '../src/demo/prng.js';

/** xorshift32 noise source: much cheaper per pixel than the header PRNG. */
function noise(seed: number): () => number {
  let x = seed || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const inEllipse = (x: number, y: number, cx: number, cy: number, a: number, b: number): boolean =>
  ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1;

/**
 * One axial CT slice of a simple chest phantom: air, soft tissue body, two lungs whose
 * size varies with the slice, a spine. Stored values are HU + 1024 (12 bits stored).
 */
export function ctSlice(seed: number, sliceIndex: number, sliceCount: number, size = 512): Buffer {
  const out = new Uint16Array(size * size);
  const rand = noise(streamSeed(seed, 'ct-pixels', sliceIndex));
  const c = size / 2;
  const t = sliceIndex / Math.max(1, sliceCount - 1);
  const lungScale = Math.sin(Math.PI * Math.min(1, Math.max(0, (t - 0.1) / 0.8)));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hu = -1000;
      if (inEllipse(x, y, c, c, size * 0.4, size * 0.3)) {
        hu = 40;
        if (
          lungScale > 0.05 &&
          (inEllipse(x, y, c - size * 0.17, c - size * 0.02, size * 0.13 * lungScale, size * 0.2 * lungScale) ||
            inEllipse(x, y, c + size * 0.17, c - size * 0.02, size * 0.13 * lungScale, size * 0.2 * lungScale))
        )
          hu = -820;
        else if (inEllipse(x, y, c, c + size * 0.2, size * 0.04, size * 0.04)) hu = 700;
      }
      const value = hu + 1024 + Math.round((rand() - 0.5) * 40);
      out[y * size + x] = Math.min(4095, Math.max(0, value));
    }
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** A small image: a smooth gradient with a blob and noise; 8-bit (US) or 16-bit (12 bits stored). */
export function smallImage(seed: number, key: string, rows: number, columns: number, bitsAllocated: 8 | 16): Buffer {
  const rand = noise(streamSeed(seed, 'small-pixels', key));
  const max = bitsAllocated === 8 ? 255 : 4095;
  const cx = columns * (0.3 + rand() * 0.4);
  const cy = rows * (0.3 + rand() * 0.4);
  const values = bitsAllocated === 8 ? new Uint8Array(rows * columns) : new Uint16Array(rows * columns);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const base = ((x + y) / (rows + columns)) * 0.5;
      const blob = inEllipse(x, y, cx, cy, columns * 0.15, rows * 0.15) ? 0.4 : 0;
      values[y * columns + x] = Math.min(max, Math.round((base + blob + rand() * 0.1) * max));
    }
  }
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * For streaming very large studies cheaply: a copy of `base` with the instance number
 * stamped into the first pixels, so every instance has distinct content.
 */
export function stampedCopy(base: Buffer, instanceNumber: number): Buffer {
  const copy = Buffer.from(base);
  for (let i = 0; i < 8 && i * 2 + 1 < copy.length; i++) copy.writeUInt16LE((instanceNumber >> i) & 0xfff, i * 2);
  return copy;
}
