import { describe, expect, it } from 'vitest';
import {
  BULK_MARKER,
  TransferSyntax,
  bufferSource,
  encodeDatasetBytes,
  encodePart10,
  parseInstance,
  wrapDataset,
} from './index.js';
import { canonical, sampleJson, samplePixels } from './test-support.js';
import type { DicomJson } from './types.js';

const bulk = { '7FE00010': samplePixels() };

/** What an implicit VR stream can carry: private data elements lose their VR and become UN. */
function asImplicit(json: DicomJson): DicomJson {
  return { ...json, '00291010': { vr: 'UN', InlineBinary: Buffer.from('ACME 1.0').toString('base64') } };
}

describe('encodePart10 → parseInstance round trip', () => {
  const json = sampleJson({ '00290010': { vr: 'LO', Value: ['ACME'] } });
  const cases: [name: string, ts: string, expected: DicomJson][] = [
    ['implicit VR little endian', TransferSyntax.ImplicitVRLittleEndian, asImplicit(json)],
    ['explicit VR little endian', TransferSyntax.ExplicitVRLittleEndian, json],
    ['explicit VR big endian', TransferSyntax.ExplicitVRBigEndian, json],
    ['deflated explicit VR little endian', TransferSyntax.DeflatedExplicitVRLittleEndian, json],
  ];
  for (const [name, ts, expected] of cases) {
    it(`reproduces the DICOM JSON through ${name}`, () => {
      const file = encodePart10(json, { transferSyntaxUid: ts, bulk });
      const parsed = parseInstance(bufferSource(file));
      expect(parsed.transferSyntaxUid).toBe(ts);
      expect(parsed.hasFileMeta).toBe(true);
      expect(canonical(parsed.json)).toEqual(canonical(expected));
      expect(parsed.sopInstanceUid).toBe('1.2.826.0.1.3680043.10.1456.9.3');
      expect(parsed.studyInstanceUid).toBe('1.2.826.0.1.3680043.10.1456.9.1');
      expect(parsed.fileMeta['00020010']).toEqual({ vr: 'UI', Value: [ts] });
      expect(parsed.fileMeta['00020012']).toEqual({ vr: 'UI', Value: ['1.2.826.0.1.3680043.10.1456.1'] });
      expect(parsed.pixelData).toMatchObject({ encapsulated: false, location: { length: 32 } });
    });
  }

  it('reproduces the JSON when sequences and items have defined lengths', () => {
    const file = encodePart10(json, { bulk, definedLengthSequences: true });
    expect(canonical(parseInstance(bufferSource(file)).json)).toEqual(canonical(json));
  });

  it('writes big endian numbers with their bytes swapped', () => {
    const small: DicomJson = {
      '00080016': { vr: 'UI', Value: ['1.2'] },
      '00080018': { vr: 'UI', Value: ['1.3'] },
      '00280010': { vr: 'US', Value: [0x0102] },
      '00660023': { vr: 'OW', InlineBinary: Buffer.from([0x01, 0x02]).toString('base64') },
    };
    const be = encodeDatasetBytes(small, { transferSyntaxUid: TransferSyntax.ExplicitVRBigEndian });
    const le = encodeDatasetBytes(small, { transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian });
    // (0028,0010) US 2 0x0102: tag, VR, length, value — every number in its byte order.
    expect(be.includes(Buffer.from('00280010555300020102', 'hex'))).toBe(true);
    expect(le.includes(Buffer.from('28001000555302000201', 'hex'))).toBe(true);
    // OW words are swapped too (JSON InlineBinary is little endian).
    expect(be.subarray(be.length - 2)).toEqual(Buffer.from([0x02, 0x01]));
  });

  it('pads strings to even length with space, UIs with NUL', () => {
    const ds = encodeDatasetBytes({
      '00080060': { vr: 'CS', Value: ['CTX'] },
      '00080018': { vr: 'UI', Value: ['1.2.3'] },
    });
    expect(ds.toString('latin1')).toContain('1.2.3\0');
    expect(ds.toString('latin1')).toContain('CTX ');
  });

  it('encodes strings as UTF-8 under ISO_IR 192 and as latin1 otherwise', () => {
    const name = { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Jérôme' }] } };
    const utf8 = encodeDatasetBytes({ '00080005': { vr: 'CS', Value: ['ISO_IR 192'] }, ...name });
    const latin = encodeDatasetBytes({ '00080005': { vr: 'CS', Value: ['ISO_IR 100'] }, ...name });
    expect(utf8.includes(Buffer.from('Jérôme', 'utf8'))).toBe(true);
    expect(latin.includes(Buffer.from('Jérôme', 'latin1'))).toBe(true);
  });

  it('keeps IS/DS values that are not numbers as trimmed strings', () => {
    const file = encodePart10(
      sampleJson({ '00200013': { vr: 'IS', Value: ['12a'] }, '00181050': { vr: 'DS', Value: [' 1,5 '] } }),
      { bulk },
    );
    const json = parseInstance(bufferSource(file)).json;
    expect(json['00200013']).toEqual({ vr: 'IS', Value: ['12a'] });
    expect(json['00181050']).toEqual({ vr: 'DS', Value: ['1,5'] });
  });

  it('shortens long DS numbers to the 16 characters the VR allows', () => {
    // biome-ignore lint/correctness/noPrecisionLoss: the test feeds a number with more digits than a double holds
    const long = -123456789.123456789;
    const file = encodePart10(sampleJson({ '00181050': { vr: 'DS', Value: [0.1 + 0.2, long] } }), {
      bulk,
    });
    const [a, b] = parseInstance(bufferSource(file)).json['00181050']!.Value as number[];
    expect(a).toBeCloseTo(0.3, 12);
    expect(b).toBeCloseTo(-123456789.1234568, 5);
  });

  it('writes a raw dataset that wrapDataset turns into a readable Part 10 file', () => {
    const json = sampleJson();
    const dataset = encodeDatasetBytes(json, { transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian, bulk });
    const file = wrapDataset(dataset, {
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.826.0.1.3680043.10.1456.9.3',
      transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian,
      sourceAeTitle: 'MODALITY1',
    });
    const parsed = parseInstance(bufferSource(file));
    expect(parsed.fileMeta['00020016']).toEqual({ vr: 'AE', Value: ['MODALITY1'] });
    expect(parsed.datasetOffset).toBe(file.length - dataset.length);
    expect(parsed.json['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Buc^Jérôme' }] });
  });

  it('reads raw datasets without File Meta, detecting implicit VR LE, explicit VR LE and explicit VR BE', () => {
    for (const ts of [
      TransferSyntax.ImplicitVRLittleEndian,
      TransferSyntax.ExplicitVRLittleEndian,
      TransferSyntax.ExplicitVRBigEndian,
    ]) {
      const parsed = parseInstance(bufferSource(encodeDatasetBytes(sampleJson(), { transferSyntaxUid: ts, bulk })));
      expect(parsed.hasFileMeta).toBe(false);
      expect(parsed.datasetOffset).toBe(0);
      expect(parsed.transferSyntaxUid).toBe(ts);
      expect(parsed.json['00081030']).toEqual({ vr: 'LO', Value: ['Thorax ohne KM'] });
    }
  });

  it('accepts bulk data keyed by the BulkDataURI text and rejects missing bulk data', () => {
    const json = sampleJson({ '7FE00010': { vr: 'OW', BulkDataURI: 'http://x/bulk/1' } });
    expect(() => encodePart10(json)).toThrow(/no bulk data supplied for 7FE00010/);
    const file = encodePart10(json, { bulk: { 'http://x/bulk/1': samplePixels() } });
    expect(parseInstance(bufferSource(file)).json['7FE00010']).toEqual({
      vr: 'OW',
      BulkDataURI: `${BULK_MARKER}7FE00010`,
    });
  });

  it('omits the preamble and DICM on request but stays readable', () => {
    const file = encodePart10(sampleJson(), { bulk, includePreamble: false });
    expect(file.readUInt16LE(0)).toBe(0x0002);
    const parsed = parseInstance(bufferSource(file));
    expect(parsed.hasFileMeta).toBe(true);
    expect(parsed.json['00100020']).toEqual({ vr: 'LO', Value: ['PAT-001'] });
  });
});
