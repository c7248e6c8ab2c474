import { describe, expect, it } from 'vitest';
import { BULK_MARKER, TransferSyntax, bufferSource, encodePart10, locateBulkData, parseInstance } from './index.js';
import { sampleJson, samplePixels } from './test-support.js';

describe('locateBulkData', () => {
  const waveform = Buffer.alloc(4000);
  for (let i = 0; i < 2000; i++) waveform.writeUInt16LE(i, i * 2);
  const json = sampleJson({
    '54000100': {
      vr: 'SQ',
      Value: [{ '54001010': { vr: 'OW', BulkDataURI: 'wave' } }],
    },
  });

  it('finds a nested value by the path in its BulkDataURI', () => {
    for (const ts of [
      TransferSyntax.ExplicitVRLittleEndian,
      TransferSyntax.ExplicitVRBigEndian,
      TransferSyntax.DeflatedExplicitVRLittleEndian,
    ]) {
      const file = encodePart10(json, { transferSyntaxUid: ts, bulk: { wave: waveform, '7FE00010': samplePixels() } });
      const parsed = parseInstance(bufferSource(file));
      const item = (parsed.json['54000100']!.Value as Record<string, { BulkDataURI?: string }>[])[0]!;
      expect(item['54001010']!.BulkDataURI).toBe(`${BULK_MARKER}54000100/0/54001010`);
      const found = locateBulkData(bufferSource(file), '54000100/0/54001010')!;
      expect(found.vr).toBe('OW');
      expect(found.location.length).toBe(4000);
      const bytes = Buffer.from(found.data.read(found.location.offset, found.location.length));
      if (found.byteOrder === 'BE') bytes.swap16();
      expect(bytes).toEqual(waveform);
    }
  });

  it('finds values under the inline threshold too, and answers undefined for unknown paths', () => {
    const file = encodePart10(json, { bulk: { wave: waveform, '7FE00010': samplePixels() } });
    const doc = locateBulkData(bufferSource(file), '00420011')!;
    expect(doc.data.read(doc.location.offset, doc.location.length)).toEqual(Buffer.from([1, 2, 3, 4]));
    expect(locateBulkData(bufferSource(file), '00420012')).toBeUndefined();
    expect(locateBulkData(bufferSource(file), '7FE00010')?.pixelData?.encapsulated).toBe(false);
  });
});
