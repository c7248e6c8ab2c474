import type { RenderedPixels } from '../../dicom/render/render-frame.js';

/**
 * Box-averages display pixels by an integer factor (each output pixel is the mean of a k×k block;
 * the blocks of the last row and column may be smaller). Runs on the render thread, which has a
 * low priority, so that sharp — on libuv's shared pool, at normal priority, competing with
 * ingest's file writes — only encodes a small image. A 128×128 thumbnail of a 512×512 frame costs
 * sharp ≈ 0.7 ms of CPU this way instead of ≈ 2 ms (Lanczos over the whole frame).
 */
export function shrinkBox(img: RenderedPixels, k: number): RenderedPixels {
  if (k < 2) return img;
  const { width, height, channels, pixels } = img;
  const outW = Math.ceil(width / k);
  const outH = Math.ceil(height / k);
  const rowLength = outW * channels;
  // Where each source sample adds up, once for all rows.
  const target = new Uint32Array(width * channels);
  for (let x = 0; x < width; x++)
    for (let c = 0; c < channels; c++) target[x * channels + c] = Math.floor(x / k) * channels + c;
  const sums = new Uint32Array(rowLength);
  const out = Buffer.allocUnsafe(outH * rowLength);
  const lastBlock = width - (outW - 1) * k;
  for (let oy = 0; oy < outH; oy++) {
    sums.fill(0);
    const y0 = oy * k;
    const y1 = Math.min(height, y0 + k);
    for (let y = y0; y < y1; y++) {
      const row = y * width * channels;
      for (let i = 0; i < target.length; i++) sums[target[i]!]! += pixels[row + i]!;
    }
    const rows = y1 - y0;
    const full = rows * k;
    const last = rows * lastBlock;
    for (let o = 0; o < rowLength; o++) {
      const n = o >= rowLength - channels ? last : full;
      out[oy * rowLength + o] = (sums[o]! + (n >> 1)) / n;
    }
  }
  return { width: outW, height: outH, channels, pixels: out };
}

/**
 * The integer factor to shrink by before sharp scales a `width`×`height` image to fit inside
 * `vw`×`vh`: the whole-number part of the reduction (sharp does the rest, less than 2×, with
 * its Lanczos kernel); 1 when the image shrinks less than 2× or grows.
 */
export function preShrinkFactor(width: number, height: number, vw: number, vh: number): number {
  return Math.max(1, Math.floor(Math.max(width / vw, height / vh)));
}
