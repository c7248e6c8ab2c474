/**
 * One frame → display pixels: compressed frames are decoded by dcmjs-codecs (decode-frame.ts),
 * then dcmjs-imaging's pipeline applies the Modality LUT, the window, MONOCHROME1 inversion,
 * palettes and YBR → RGB. Runs in a render worker thread: decoding a 512×512 JPEG 2000 frame
 * takes tens of milliseconds of CPU.
 */
import { createRequire } from 'node:module';
import type * as Imaging from 'dcmjs-imaging';
import { UndecodableError, decodeFrame, initCodecs } from './decode-frame.js';
import { renderGrayscale } from './lut-sequences.js';
import type { PixelElements, RenderInput } from './pixel-input.js';
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
  const grayscale = GRAYSCALE.has(String(input.elements.PhotometricInterpretation ?? 'MONOCHROME2'));
  if (grayscale && (input.modalityLut || (input.voiLut && !window)))
    return withLutSequences(input, frame, attrs, window);
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

/** A grayscale frame whose instance has a Modality or VOI LUT Sequence (see lut-sequences.ts). */
function withLutSequences(input: RenderInput, frame: Uint8Array, attrs: PixelElements, asked?: Window): RenderedPixels {
  const bitsAllocated = Number(attrs.BitsAllocated ?? 16);
  const bitsStored = Number(attrs.BitsStored ?? bitsAllocated);
  const signed = Number(attrs.PixelRepresentation ?? 0) === 1;
  const count = input.rows * input.columns;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const stored = new Float64Array(count);
  const mask = 2 ** bitsStored - 1;
  for (let i = 0; i < count; i++) {
    let v = bitsAllocated === 8 ? view.getUint8(i) : view.getUint16(i * 2, true);
    v &= mask;
    if (signed && v >= 2 ** (bitsStored - 1)) v -= 2 ** bitsStored;
    stored[i] = v;
  }
  const fileWindow = firstNumber(attrs.WindowCenter) !== undefined && firstNumber(attrs.WindowWidth) !== undefined;
  const window: Window | undefined =
    asked ??
    (!input.voiLut && fileWindow
      ? {
          center: firstNumber(attrs.WindowCenter)!,
          width: firstNumber(attrs.WindowWidth)!,
          function: (attrs.VOILUTFunction as Window['function'] | undefined) ?? 'LINEAR',
        }
      : undefined);
  const pixels = renderGrayscale(stored, {
    modalityLut: input.modalityLut,
    slope: firstNumber(attrs.RescaleSlope) ?? 1,
    intercept: firstNumber(attrs.RescaleIntercept) ?? 0,
    window,
    voiLut: input.voiLut,
    invert: attrs.PhotometricInterpretation === 'MONOCHROME1',
  });
  return { width: input.columns, height: input.rows, channels: 1, pixels };
}

const firstNumber = (v: unknown): number | undefined => {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return v === undefined || !Number.isFinite(n) ? undefined : n;
};
