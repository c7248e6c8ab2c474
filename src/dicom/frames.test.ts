import { describe, expect, it } from 'vitest';
import {
  FrameRangeError,
  TransferSyntax,
  bufferSource,
  encapsulatePixelData,
  encodePart10,
  locateBulkData,
  parseInstance,
  readFrames,
} from './index.js';
import { sampleJson, samplePixels } from './test-support.js';

const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const multiFrame = (frames: number) => sampleJson({ '00280008': { vr: 'IS', Value: [frames] } });

/** Fake JPEG codestreams: SOI marker then frame-specific bytes. */
function jpegFrames(n: number, size: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => {
    const b = Buffer.alloc(size, i + 1);
    b[0] = 0xff;
    b[1] = 0xd8;
    b[2] = 0xff;
    return b;
  });
}

describe('readFrames on native pixel data', () => {
  for (const ts of [
    TransferSyntax.ExplicitVRLittleEndian,
    TransferSyntax.ImplicitVRLittleEndian,
    TransferSyntax.ExplicitVRBigEndian,
    TransferSyntax.DeflatedExplicitVRLittleEndian,
  ]) {
    it(`slices 16-bit frames and returns them little endian (${ts})`, () => {
      const pixels = samplePixels(3);
      const file = encodePart10(multiFrame(3), { transferSyntaxUid: ts, bulk: { '7FE00010': pixels } });
      const result = readFrames(bufferSource(file), [3, 1]);
      expect(result.encapsulated).toBe(false);
      expect(result.transferSyntaxUid).toBe(ts);
      expect(result.frames).toEqual([pixels.subarray(64, 96), pixels.subarray(0, 32)]);
    });
  }

  it('keeps the stored big endian order in the file but swaps when reading frames', () => {
    const pixels = samplePixels(1);
    const file = encodePart10(sampleJson(), {
      transferSyntaxUid: TransferSyntax.ExplicitVRBigEndian,
      bulk: { '7FE00010': pixels },
    });
    expect(file.subarray(file.length - 32)).toEqual(Buffer.from(pixels).swap16());
    const located = locateBulkData(bufferSource(file), '7FE00010')!;
    expect(located.byteOrder).toBe('BE');
    expect(located.vr).toBe('OW');
  });

  it('realigns bit-packed 1-bit frames that do not start on a byte boundary', () => {
    // 3×3 pixels, 1 bit: frame 1 is bits 0–8, frame 2 is bits 9–17.
    const json = sampleJson({
      '00280008': { vr: 'IS', Value: [2] },
      '00280010': { vr: 'US', Value: [3] },
      '00280011': { vr: 'US', Value: [3] },
      '00280100': { vr: 'US', Value: [1] },
      '00280101': { vr: 'US', Value: [1] },
      '7FE00010': { vr: 'OB', BulkDataURI: '\u00017FE00010' },
    });
    // frame 1 = 1 0000 0001 (bit 0 and bit 8), frame 2 = all ones.
    const packed = Buffer.from([0b0000_0001, 0b1111_1111, 0b0000_0011, 0]);
    const file = encodePart10(json, { bulk: { '7FE00010': packed } });
    const { frames } = readFrames(bufferSource(file), [1, 2]);
    expect(frames[0]).toEqual(Buffer.from([0b0000_0001, 0b1]));
    expect(frames[1]).toEqual(Buffer.from([0xff, 0b1]));
  });

  it('throws FrameRangeError naming the frame and how many exist', () => {
    const file = encodePart10(multiFrame(3), { bulk: { '7FE00010': samplePixels(3) } });
    expect(() => readFrames(bufferSource(file), [4])).toThrow(FrameRangeError);
    expect(() => readFrames(bufferSource(file), [0])).toThrow(
      'frame 0 does not exist: the instance has 3 frames (numbered from 1)',
    );
  });
});

describe('readFrames on encapsulated pixel data', () => {
  const encode = (frames: Buffer[], items: Buffer) =>
    encodePart10(multiFrame(frames.length), {
      transferSyntaxUid: JPEG_BASELINE,
      bulk: { '7FE00010': items },
    });

  it('uses the Basic Offset Table to join multi-fragment frames', () => {
    const frames = jpegFrames(3, 101);
    const file = encode(frames, encapsulatePixelData(frames, { fragmentSize: 40 }));
    const parsed = parseInstance(bufferSource(file));
    expect(parsed.pixelData?.encapsulated).toBe(true);
    expect(parsed.pixelData?.fragments).toHaveLength(9);
    expect(parsed.pixelData?.basicOffsetTable).toEqual([0, 126, 252]);
    const result = readFrames(bufferSource(file), [2, 3, 1]);
    expect(result.encapsulated).toBe(true);
    expect(result.transferSyntaxUid).toBe(JPEG_BASELINE);
    // Odd-length frames come back with the fragment padding byte.
    expect(result.frames.map((f) => f.subarray(0, 101))).toEqual([frames[1], frames[2], frames[0]]);
  });

  it('takes one fragment per frame when there is no offset table and the counts match', () => {
    const frames = jpegFrames(4, 64);
    const file = encode(frames, encapsulatePixelData(frames, { basicOffsetTable: false }));
    expect(readFrames(bufferSource(file), [4]).frames).toEqual([frames[3]]);
  });

  it('finds frame starts by codestream markers without an offset table', () => {
    const frames = jpegFrames(2, 100);
    const file = encode(frames, encapsulatePixelData(frames, { basicOffsetTable: false, fragmentSize: 30 }));
    expect(readFrames(bufferSource(file), [1, 2]).frames).toEqual(frames);
  });

  it('joins all fragments of a single-frame image', () => {
    const frame = jpegFrames(1, 90)[0]!;
    const file = encode([frame], encapsulatePixelData([frame], { basicOffsetTable: false, fragmentSize: 32 }));
    expect(readFrames(bufferSource(file), [1]).frames).toEqual([frame]);
  });

  it('prefers the Extended Offset Table when present', () => {
    // Plain bytes, two fragments per frame, no BOT: without the EOT nothing could split them.
    const frames = [Buffer.alloc(48, 1), Buffer.alloc(48, 2)];
    const eot = Buffer.alloc(16);
    eot.writeBigUInt64LE(0n, 0);
    eot.writeBigUInt64LE(BigInt(2 * (8 + 24)), 8);
    const lengths = Buffer.alloc(16);
    lengths.writeBigUInt64LE(48n, 0);
    lengths.writeBigUInt64LE(48n, 8);
    const json = multiFrame(2);
    json['7FE00001'] = { vr: 'OV', InlineBinary: eot.toString('base64') };
    json['7FE00002'] = { vr: 'OV', InlineBinary: lengths.toString('base64') };
    const file = encodePart10(json, {
      transferSyntaxUid: JPEG_BASELINE,
      bulk: { '7FE00010': encapsulatePixelData(frames, { basicOffsetTable: false, fragmentSize: 24 }) },
    });
    expect(readFrames(bufferSource(file), [2]).frames).toEqual([frames[1]]);
  });

  it('locates the encapsulated pixel data and its fragments by bulk path', () => {
    const frames = jpegFrames(2, 32);
    const file = encode(frames, encapsulatePixelData(frames));
    const located = locateBulkData(bufferSource(file), '\u00017FE00010')!;
    expect(located.pixelData?.encapsulated).toBe(true);
    expect(located.pixelData?.fragments?.map((f) => located.data.read(f.offset, f.length))).toEqual(frames);
  });
});
