import { describe, expect, it } from 'vitest';
import {
  IMPLEMENTATION_CLASS_UID,
  TranscodeError,
  TransferSyntax,
  bufferSource,
  encapsulatePixelData,
  encodePart10,
  parseInstance,
  transcodeToExplicitLittle,
  wrapDataset,
} from './index.js';
import { canonical, implicitElement, sampleJson, samplePixels } from './test-support.js';

const bulk = { '7FE00010': samplePixels() };
const transcode = (file: Buffer): Buffer => Buffer.concat([...transcodeToExplicitLittle(bufferSource(file))]);

describe('transcodeToExplicitLittle', () => {
  const sources = [
    TransferSyntax.ImplicitVRLittleEndian,
    TransferSyntax.ExplicitVRBigEndian,
    TransferSyntax.DeflatedExplicitVRLittleEndian,
    TransferSyntax.ExplicitVRLittleEndian,
  ];
  for (const ts of sources) {
    it(`re-encodes ${ts} so that the re-parsed JSON equals the original`, () => {
      const json = sampleJson({ '00290010': { vr: 'LO', Value: ['ACME'] } });
      const file = encodePart10(json, {
        transferSyntaxUid: ts,
        bulk,
        definedLengthSequences: ts === TransferSyntax.ExplicitVRBigEndian,
      });
      const original = parseInstance(bufferSource(file));
      const output = transcode(file);
      const reparsed = parseInstance(bufferSource(output));
      expect(reparsed.transferSyntaxUid).toBe(TransferSyntax.ExplicitVRLittleEndian);
      expect(reparsed.fileMeta['00020012']).toEqual({ vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] });
      expect(reparsed.fileMeta['00020002']).toEqual(original.fileMeta['00020002']);
      expect(reparsed.fileMeta['00020003']).toEqual(original.fileMeta['00020003']);
      expect(canonical(reparsed.json)).toEqual(canonical(original.json));
      const pixels = reparsed.pixelData!.location;
      expect(output.subarray(pixels.offset, pixels.offset + pixels.length)).toEqual(samplePixels());
    });
  }

  it('streams large values in chunks of at most 1 MB', () => {
    const pixels = Buffer.alloc(3 * 1024 * 1024 + 10, 3);
    const file = encodePart10(sampleJson(), {
      transferSyntaxUid: TransferSyntax.ExplicitVRBigEndian,
      bulk: { '7FE00010': pixels },
    });
    const chunks = [...transcodeToExplicitLittle(bufferSource(file))];
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(1024 * 1024);
    expect(chunks.length).toBeGreaterThan(4);
    const reparsed = parseInstance(bufferSource(Buffer.concat(chunks)));
    expect(reparsed.pixelData?.location.length).toBe(pixels.length);
  });

  it('writes a value too long for a 2-byte length as UN', () => {
    const comments = Buffer.alloc(70_000, 0x61);
    const dataset = Buffer.concat([
      implicitElement(0x00080016, Buffer.from('1.2.3\0')),
      implicitElement(0x00080018, Buffer.from('1.2.3.4\0')),
      implicitElement(0x00104000, comments),
      implicitElement(0x0020000d, Buffer.from('1.2.3.5\0')),
      implicitElement(0x0020000e, Buffer.from('1.2.3.6\0')),
    ]);
    const file = wrapDataset(dataset, {
      sopClassUid: '1.2.3',
      sopInstanceUid: '1.2.3.4',
      transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian,
    });
    const output = transcode(file);
    const header = Buffer.from('10000040554e000070110100', 'hex'); // (0010,4000) UN, length 70000
    expect(output.includes(header)).toBe(true);
    // The parser reads a standard attribute carried as UN with its dictionary VR again.
    expect(parseInstance(bufferSource(output)).json['00104000']).toEqual({ vr: 'LT', Value: ['a'.repeat(70_000)] });
  });

  it('refuses encapsulated pixel data with TranscodeError', () => {
    const file = encodePart10(sampleJson(), {
      transferSyntaxUid: '1.2.840.10008.1.2.4.50',
      bulk: { '7FE00010': encapsulatePixelData([Buffer.from([0xff, 0xd8, 0xff, 0xd9])]) },
    });
    expect(() => transcode(file)).toThrow(TranscodeError);
  });
});
