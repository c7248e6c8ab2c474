import { Rng } from './prng.js';

export const IMAGE_SIZE = 64;

/**
 * A small synthetic image, 16-bit unsigned little endian: an elliptic body with a brighter rim
 * and a darker core that shift from slice to slice, plus a little noise. CT values are stored
 * as HU + 1024 (RescaleIntercept -1024). Not anatomy: enough for viewers and thumbnails.
 */
export function phantomPixels(modality: 'CT' | 'MR' | 'DX', seed: number, slice: number, size = IMAGE_SIZE): Buffer {
  const rng = new Rng(seed);
  const out = Buffer.alloc(size * size * 2);
  const c = (size - 1) / 2;
  const rx = size * (modality === 'DX' ? 0.44 : 0.4);
  const ry = size * (modality === 'DX' ? 0.46 : 0.34 + 0.01 * (slice % 3));
  const level =
    modality === 'CT'
      ? { air: 24, rim: 2024, body: 1064, core: 1034 }
      : modality === 'MR'
        ? { air: 0, rim: 420, body: 780, core: 1150 }
        : { air: 3800, rim: 2600, body: 1500, core: 900 };
  // Math.sqrt of the sum of squares instead of Math.hypot (≈ 2.5× faster here; the same pixels for
  // every demo image: the digest in dataset.test.ts), the row terms computed once per row.
  const coreRx = rx * 0.35;
  const coreRy = ry * 0.3;
  for (let y = 0; y < size; y++) {
    const dy = (y - c) / ry;
    const coreY = (y - c) / coreRy;
    for (let x = 0; x < size; x++) {
      const dx = (x - c) / rx;
      const d = Math.sqrt(dx * dx + dy * dy);
      const coreX = (x - c - slice) / coreRx;
      const core = Math.sqrt(coreX * coreX + coreY * coreY);
      const base = d > 1 ? level.air : d > 0.9 ? level.rim : core < 1 ? level.core : level.body;
      const value = Math.max(0, Math.min(4095, Math.round(base + (rng.next() - 0.5) * 20)));
      out.writeUInt16LE(value, (y * size + x) * 2);
    }
  }
  return out;
}
