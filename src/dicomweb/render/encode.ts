/**
 * Display pixels → JPEG / PNG / GIF with sharp (libvips): the viewport's source region is cut
 * out (flipped when its width or height is negative) and scaled to fit inside the viewport,
 * keeping the aspect ratio.
 */
import sharp from 'sharp';
import type { RenderedPixels } from '../../dicom/render/render-frame.js';
import type { RenderOptions } from './render-params.js';
import { preShrinkFactor, shrinkBox } from './shrink.js';

// One libvips thread per render worker: the pool sets the parallelism, not libvips.
sharp.concurrency(1);
sharp.cache(false);

export async function encodeRendered(full: RenderedPixels, o: RenderOptions): Promise<Buffer> {
  // A 512×512 frame reaches sharp as 128×128 for a thumbnail, which runs at normal priority (see shrink.ts).
  const img =
    o.viewport && !o.viewport.region
      ? shrinkBox(full, preShrinkFactor(full.width, full.height, o.viewport.width, o.viewport.height))
      : full;
  let pipeline = sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: img.channels } });
  let width = img.width;
  let height = img.height;
  const region = o.viewport?.region;
  if (region) {
    const left = Math.min(Math.max(0, Math.round(region.x)), img.width - 1);
    const top = Math.min(Math.max(0, Math.round(region.y)), img.height - 1);
    width = Math.max(1, Math.min(Math.round(Math.abs(region.width)), img.width - left));
    height = Math.max(1, Math.min(Math.round(Math.abs(region.height)), img.height - top));
    pipeline = pipeline.extract({ left, top, width, height });
    if (region.width < 0) pipeline = pipeline.flop();
    if (region.height < 0) pipeline = pipeline.flip();
  }
  if (o.viewport && (o.viewport.width !== width || o.viewport.height !== height)) {
    pipeline = pipeline.resize(o.viewport.width, o.viewport.height, { fit: 'inside', kernel: 'lanczos3' });
  }
  if (img.channels === 1) pipeline = pipeline.toColourspace('b-w');
  if (o.type === 'image/png') return pipeline.png({ compressionLevel: 4 }).toBuffer();
  if (o.type === 'image/gif') return pipeline.gif().toBuffer();
  return pipeline.jpeg({ quality: o.quality, chromaSubsampling: '4:4:4' }).toBuffer();
}
