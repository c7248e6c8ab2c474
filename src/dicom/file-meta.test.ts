import { describe, expect, it } from 'vitest';
import {
  DicomParseError,
  TransferSyntax,
  bufferSource,
  datasetOffset,
  encodeDatasetBytes,
  encodePart10,
  parseInstance,
} from './index.js';
import { sampleJson, samplePixels } from './test-support.js';

const bulk = { '7FE00010': samplePixels() };

describe('datasetOffset', () => {
  it('answers undefined until the File Meta is complete, then the exact dataset start', () => {
    const file = encodePart10(sampleJson(), { bulk });
    const expected = parseInstance(bufferSource(file)).datasetOffset;
    expect(expected).toBeGreaterThan(132);
    for (let n = 0; n <= file.length; n++) {
      const answer = datasetOffset(file.subarray(0, n));
      // Once known, the answer never changes; before that it is undefined, never wrong.
      if (n >= expected + 12) expect(answer, `prefix ${n}`).toBe(expected);
      else expect([undefined, expected], `prefix ${n}`).toContain(answer);
    }
  });

  it('answers 0 for a raw dataset without File Meta', () => {
    const raw = encodeDatasetBytes(sampleJson(), { transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian, bulk });
    expect(datasetOffset(raw.subarray(0, 10))).toBeUndefined();
    expect(datasetOffset(raw.subarray(0, 200))).toBe(0);
  });

  it('throws DicomParseError as soon as the bytes clearly are not DICOM', () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(200)]);
    expect(() => datasetOffset(png)).toThrow(DicomParseError);
  });

  it('agrees with parseInstance for every transfer syntax', () => {
    for (const ts of Object.values(TransferSyntax)) {
      const file = encodePart10(sampleJson(), { transferSyntaxUid: ts, bulk });
      expect(datasetOffset(file)).toBe(parseInstance(bufferSource(file)).datasetOffset);
    }
  });
});
