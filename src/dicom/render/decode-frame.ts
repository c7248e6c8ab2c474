/**
 * Compressed frame → native little-endian pixels, with dcmjs-codecs (WebAssembly builds of
 * libjpeg-turbo / IJG, CharLS, OpenJPEG, OpenJPH and its RLE codec). We call the codecs
 * ourselves rather than through dcmjs-imaging's decode step because that step asks the codecs
 * for the opposite planar configuration of the one it then reads (colour RLE came out as
 * three planes read as interleaved samples).
 */
import { createRequire } from 'node:module';
import type * as Codecs from 'dcmjs-codecs';
import type { PixelElements } from './pixel-input.js';
import { CODEC_OF, type Codec } from './renderable-syntaxes.js';

const require = createRequire(import.meta.url);
const codecs = require('dcmjs-codecs') as typeof Codecs;
const { NativeCodecs, Context } = codecs;
const { PlanarConfiguration, PixelRepresentation } = codecs.constants;

export class UndecodableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UndecodableError';
  }
}

let ready: Promise<void> | undefined;

/** Loads the codecs' WebAssembly module once per thread. */
export function initCodecs(): Promise<void> {
  ready ??= NativeCodecs.initializeAsync({
    webAssemblyModulePathOrUrl: require.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm'),
  });
  return ready;
}

export interface DecodedFrame {
  pixels: Uint8Array;
  /** The attributes that describe the decoded pixels (colour converted to RGB, interleaved). */
  elements: PixelElements;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);

/** Decodes one compressed frame; the caller renders the result as Explicit VR Little Endian. */
export function decodeFrame(frame: Uint8Array, transferSyntaxUid: string, elements: PixelElements): DecodedFrame {
  const codec = CODEC_OF.get(transferSyntaxUid);
  if (!codec) throw new UndecodableError(`no decoder for transfer syntax ${transferSyntaxUid}`);
  const photometric = String(elements.PhotometricInterpretation ?? 'MONOCHROME2');
  const context = new Context({
    width: num(elements.Columns, 0),
    height: num(elements.Rows, 0),
    bitsAllocated: num(elements.BitsAllocated, 8),
    bitsStored: num(elements.BitsStored, num(elements.BitsAllocated, 8)),
    samplesPerPixel: num(elements.SamplesPerPixel, 1),
    pixelRepresentation: num(elements.PixelRepresentation, 0)
      ? PixelRepresentation.Signed
      : PixelRepresentation.Unsigned,
    planarConfiguration: PlanarConfiguration.Interleaved,
    photometricInterpretation: photometric,
    encodedBuffer: frame,
  });
  let decoded: Codecs.Context;
  try {
    if (codec === 'rle') decoded = NativeCodecs.decodeRle(context);
    else if (codec === 'jpeg') decoded = NativeCodecs.decodeJpeg(context, { convertColorspaceToRgb: true });
    else if (codec === 'jpeg-lossless') decoded = NativeCodecs.decodeJpeg(context);
    else if (codec === 'jpeg-ls') decoded = NativeCodecs.decodeJpegLs(context);
    else if (codec === 'jpeg2000') decoded = NativeCodecs.decodeJpeg2000(context);
    else decoded = NativeCodecs.decodeHtJpeg2000(context);
  } catch (e) {
    throw new UndecodableError(`the ${transferSyntaxUid} frame cannot be decoded: ${(e as Error).message}`);
  }
  const pixels = decoded.getDecodedBuffer();
  if (!pixels?.length) throw new UndecodableError(`the ${transferSyntaxUid} frame decoded to nothing`);
  return {
    pixels,
    elements: {
      ...elements,
      PlanarConfiguration: 0,
      PhotometricInterpretation: decodedPhotometric(codec, photometric),
    },
  };
}

/**
 * Lossy JPEG colour comes out of the decoder as RGB (we ask for it), and JPEG 2000's component
 * transform (YBR_ICT / YBR_RCT) is undone by the decoder; everything else keeps its meaning.
 */
function decodedPhotometric(codec: Codec, photometric: string): string {
  if (codec === 'jpeg' && photometric.startsWith('YBR')) return 'RGB';
  if ((codec === 'jpeg2000' || codec === 'htj2k') && (photometric === 'YBR_ICT' || photometric === 'YBR_RCT'))
    return 'RGB';
  return photometric;
}
