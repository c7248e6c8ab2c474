/**
 * One frame → display pixels: compressed frames are decoded by dcmjs-codecs (decode-frame.ts),
 * then dcmjs-imaging's pipeline applies the Modality LUT, the window, MONOCHROME1 inversion,
 * palettes and YBR → RGB. Runs in a render worker thread: decoding a 512×512 JPEG 2000 frame
 * takes tens of milliseconds of CPU.
 */
import { createRequire } from 'node:module';
import type * as Imaging from 'dcmjs-imaging';
import { UndecodableError, decodeFrame, initCodecs } from './decode-frame.js';
import type { RenderInput } from './pixel-input.js';
import { CODEC_OF, EXPLICIT_LE, NATIVE } from './renderable-syntaxes.js';

const require = createRequire(import.meta.url);
const imaging = require('dcmjs-imaging') as typeof Imaging;

/** PS3.18 `window` function names → VOI LUT Function (0028,1056) values (PS3.3 C.11.2.1.2). */
export type WindowFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface Window {
  center: number;
  width: number;
  function: WindowFunction;
}

export interface RenderedPixels {
  width: number;
  height: number;
  /** 1 for grayscale, 3 for colour; interleaved 8-bit samples. */
  channels: 1 | 3;
  pixels: Buffer;
}

/** Loads the codecs' WebAssembly module once per thread. */
export const initDecoders = initCodecs;

const GRAYSCALE = new Set(['MONOCHROME1', 'MONOCHROME2']);

/** Renders frame `index` of `input.frames` (frames not needed are left out of the input). */
export function renderFrame(input: RenderInput, index: number, window?: Window): RenderedPixels {
  let frame: Uint8Array = input.frames[index]!;
  let attrs = input.elements;
  if (CODEC_OF.has(input.transferSyntaxUid)) {
    const decoded = decodeFrame(frame, input.transferSyntaxUid, attrs);
    frame = decoded.pixels;
    attrs = decoded.elements;
  } else if (!NATIVE.has(input.transferSyntaxUid)) {
    throw new UndecodableError(`no decoder for transfer syntax ${input.transferSyntaxUid}`);
  }
  const elements = {
    ...attrs,
    NumberOfFrames: 1,
    PixelData: [frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength)],
    ...(window ? { VOILUTFunction: window.function } : {}),
  };
  const image = new imaging.DicomImage(elements, EXPLICIT_LE);
  const result = image.render({
    frame: 0,
    renderOverlays: false,
    ...(window ? { windowLevel: new imaging.WindowLevel(window.width, window.center) } : {}),
  });
  const rgba = Buffer.from(result.pixels);
  const grayscale = GRAYSCALE.has(String(input.elements.PhotometricInterpretation ?? 'MONOCHROME2'));
  const channels = grayscale ? 1 : 3;
  const count = result.width * result.height;
  const pixels = Buffer.allocUnsafe(count * channels);
  for (let i = 0, o = 0; i < count; i++) {
    const p = i * 4;
    pixels[o++] = rgba[p]!;
    if (channels === 3) {
      pixels[o++] = rgba[p + 1]!;
      pixels[o++] = rgba[p + 2]!;
    }
  }
  return { width: result.width, height: result.height, channels, pixels };
}
