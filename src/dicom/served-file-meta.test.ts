import { describe, expect, it } from 'vitest';
import {
  TransferSyntax,
  bufferSource,
  encodeDatasetBytes,
  encodePart10,
  parseInstance,
  servedHeader,
} from './index.js';
import { CT_IMAGE_STORAGE, sampleJson, samplePixels } from './test-support.js';

const bulk = { '7FE00010': samplePixels() };
const sop = String(sampleJson()['00080018']!.Value![0]);
const identity = (ts: string = TransferSyntax.ExplicitVRLittleEndian) => ({
  sopClassUid: CT_IMAGE_STORAGE,
  sopInstanceUid: sop,
  transferSyntaxUid: ts,
});

/** The file as served: the replacement (if any) in front of the data set. */
function served(file: Buffer, ts?: string): Buffer {
  const h = servedHeader(file, identity(ts), true)!;
  return h.replacement ? Buffer.concat([h.replacement, file.subarray(h.datasetOffset)]) : file;
}

describe('servedHeader (the File Meta a stored object goes out with)', () => {
  it('keeps a consistent File Meta as stored: no replacement', () => {
    const file = encodePart10(sampleJson(), { bulk });
    expect(servedHeader(file, identity(), true)).toEqual({
      datasetOffset: parseInstance(bufferSource(file)).datasetOffset,
    });
  });

  it('regenerates a File Meta that names another instance, keeping the other group 0002 attributes', () => {
    const file = Buffer.from(encodePart10(sampleJson({ '00020016': { vr: 'AE', Value: ['DEIDENT'] } }), { bulk }));
    file.set(Buffer.from(`${sop.slice(0, -1)}9`), file.indexOf(Buffer.from(sop))); // (0002,0003) only
    const out = parseInstance(bufferSource(served(file)));
    expect(out.fileMeta['00020003']).toEqual({ vr: 'UI', Value: [sop] });
    expect(out.fileMeta['00020016']).toEqual({ vr: 'AE', Value: ['DEIDENT'] });
    expect(out.json).toEqual(parseInstance(bufferSource(file)).json);
  });

  it('adds a File Meta to a data set stored without one, in every native byte order', () => {
    for (const ts of [
      TransferSyntax.ImplicitVRLittleEndian,
      TransferSyntax.ExplicitVRLittleEndian,
      TransferSyntax.ExplicitVRBigEndian,
    ]) {
      const raw = encodeDatasetBytes(sampleJson(), { transferSyntaxUid: ts, bulk });
      const out = parseInstance(bufferSource(served(raw, ts)));
      expect(out.hasFileMeta).toBe(true);
      expect(out.fileMeta['00020010']).toEqual({ vr: 'UI', Value: [ts] });
      expect(out.fileMeta['00020002']).toEqual({ vr: 'UI', Value: [CT_IMAGE_STORAGE] });
      expect(out.json).toEqual(parseInstance(bufferSource(raw)).json);
    }
  });

  it('regenerates a File Meta naming another SOP Class or transfer syntax than the index', () => {
    const file = encodePart10(sampleJson(), { bulk });
    const offset = parseInstance(bufferSource(file)).datasetOffset;
    for (const other of [
      { ...identity(), sopClassUid: '1.2.840.10008.5.1.4.1.1.4' },
      { ...identity(), sopInstanceUid: `${sop}.1` },
    ]) {
      const h = servedHeader(file, other, true)!;
      expect(h.datasetOffset).toBe(offset);
      const meta = parseInstance(bufferSource(Buffer.concat([h.replacement!, file.subarray(offset)]))).fileMeta;
      expect(meta['00020002']).toEqual({ vr: 'UI', Value: [other.sopClassUid] });
      expect(meta['00020003']).toEqual({ vr: 'UI', Value: [other.sopInstanceUid] });
    }
    // Another transfer syntax: the data set would no longer parse with the new File Meta; its bytes name it.
    const h = servedHeader(file, identity(TransferSyntax.ImplicitVRLittleEndian), true)!;
    expect(h.datasetOffset).toBe(offset);
    expect(h.replacement!.includes(Buffer.from(`${TransferSyntax.ImplicitVRLittleEndian}\0`, 'latin1'))).toBe(true);
  });

  it('asks for more bytes until the File Meta is complete', () => {
    const file = encodePart10(sampleJson(), { bulk });
    expect(servedHeader(file.subarray(0, 140), identity(), false)).toBeUndefined();
    expect(servedHeader(file.subarray(0, 1000), identity(), false)?.replacement).toBeUndefined();
  });
});
