import { createRequire } from 'node:module';
import type * as Codecs from 'dcmjs-codecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UndecodableError, decodeFrame } from './decode-frame.js';
import type { PixelElements, RenderInput } from './pixel-input.js';
import { initDecoders, renderFrame } from './render-frame.js';
import { canRender } from './renderable-syntaxes.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

function input(elements: PixelElements, frame: Buffer, ts = EXPLICIT_LE): RenderInput {
  return {
    elements,
    frames: [frame],
    transferSyntaxUid: ts,
    numberOfFrames: 1,
    rows: Number(elements.Rows),
    columns: Number(elements.Columns),
  };
}

const gray16 = (values: number[], extra: PixelElements = {}): RenderInput => {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeInt16LE(v, i * 2));
  return input(
    {
      Rows: 1,
      Columns: values.length,
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      ...extra,
    },
    b,
  );
};

beforeAll(() => initDecoders());

describe('grayscale pipeline', () => {
  it('applies rescale slope/intercept before the window (signed 16-bit)', () => {
    // HU = stored − 1024; window 0/2 (linear) puts HU −1 → black, HU ≥ 1 → white.
    const img = gray16([1000, 1023, 1025, 2000], { RescaleIntercept: -1024, RescaleSlope: 1 });
    const out = renderFrame(img, 0, { center: 0, width: 2, function: 'LINEAR' });
    expect(out.channels).toBe(1);
    expect([...out.pixels]).toEqual([0, 0, 255, 255]);
  });

  it('uses the window in the instance when the request gives none', () => {
    const img = gray16([-100, 0, 100], { WindowCenter: 0, WindowWidth: 201 });
    expect([...renderFrame(img, 0).pixels]).toEqual([0, 128, 255]); // ((0 + 0.5) / 200 + 0.5) × 255 = 128.1
  });

  it('inverts MONOCHROME1', () => {
    const img = gray16([-100, 100], { PhotometricInterpretation: 'MONOCHROME1', WindowCenter: 0, WindowWidth: 201 });
    expect([...renderFrame(img, 0).pixels]).toEqual([255, 0]);
  });
});

describe('colour pipeline', () => {
  const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  const colour = {
    Rows: 2,
    Columns: 2,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    SamplesPerPixel: 3,
  };

  it('reads interleaved and planar RGB alike', () => {
    const planar = Buffer.from([255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30]);
    const a = renderFrame(input({ ...colour, PhotometricInterpretation: 'RGB', PlanarConfiguration: 0 }, rgb), 0);
    const b = renderFrame(input({ ...colour, PhotometricInterpretation: 'RGB', PlanarConfiguration: 1 }, planar), 0);
    expect(a.channels).toBe(3);
    expect([...a.pixels]).toEqual([...rgb]);
    expect([...b.pixels]).toEqual([...rgb]);
  });

  it('maps PALETTE COLOR through its lookup tables', () => {
    const lut = (f: (i: number) => number) => {
      const b = Buffer.alloc(512);
      for (let i = 0; i < 256; i++) b.writeUInt16LE(f(i) * 257, i * 2);
      return new Uint8Array(b).buffer;
    };
    const elements = {
      ...colour,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'PALETTE COLOR',
      RedPaletteColorLookupTableDescriptor: [256, 0, 16],
      GreenPaletteColorLookupTableDescriptor: [256, 0, 16],
      BluePaletteColorLookupTableDescriptor: [256, 0, 16],
      RedPaletteColorLookupTableData: lut((i) => i),
      GreenPaletteColorLookupTableData: lut((i) => 255 - i),
      BluePaletteColorLookupTableData: lut(() => 7),
    };
    const out = renderFrame(input(elements, Buffer.from([0, 10, 200, 255])), 0);
    expect([...out.pixels]).toEqual([0, 255, 7, 10, 245, 7, 200, 55, 7, 255, 0, 7]);
  });
});

describe('compressed frames', () => {
  const codecs = createRequire(import.meta.url)('dcmjs-codecs') as typeof Codecs;
  const elements = {
    Rows: 4,
    Columns: 4,
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
  };
  const raw = new Uint8Array(32);
  for (let i = 0; i < 16; i++) new DataView(raw.buffer).setUint16(i * 2, i * 250, true);
  const encode = (fn: (c: Codecs.Context) => Codecs.Context) =>
    fn(
      new codecs.Context({
        width: 4,
        height: 4,
        bitsAllocated: 16,
        bitsStored: 12,
        samplesPerPixel: 1,
        pixelRepresentation: 0,
        planarConfiguration: 0,
        photometricInterpretation: 'MONOCHROME2',
        decodedBuffer: raw,
      }),
    ).getEncodedBuffer()!;

  it('decodes RLE, JPEG-LS and JPEG 2000 back to the exact samples', () => {
    const cases: [string, Uint8Array][] = [
      ['1.2.840.10008.1.2.5', encode((c) => codecs.NativeCodecs.encodeRle(c))],
      ['1.2.840.10008.1.2.4.80', encode((c) => codecs.NativeCodecs.encodeJpegLs(c))],
      ['1.2.840.10008.1.2.4.90', encode((c) => codecs.NativeCodecs.encodeJpeg2000(c))],
    ];
    for (const [ts, frame] of cases) expect([...decodeFrame(frame, ts, elements).pixels], ts).toEqual([...raw]);
  });

  it('reports a syntax without a decoder, and a corrupt frame, as undecodable', () => {
    expect(canRender('1.2.840.10008.1.2.4.100')).toBe(false);
    expect(canRender('1.2.840.10008.1.2.4.91')).toBe(true);
    expect(() => renderFrame(input(elements, Buffer.alloc(8), '1.2.840.10008.1.2.4.100'), 0)).toThrow(UndecodableError);
    expect(() => decodeFrame(new Uint8Array([1, 2, 3]), '1.2.840.10008.1.2.4.90', elements)).toThrow(UndecodableError);
  });
});
