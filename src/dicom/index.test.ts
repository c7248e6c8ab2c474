import { describe, expect, it } from 'vitest';
import * as dicom from './index.js';

describe('public API of src/dicom', () => {
  it('exports every name other modules are coded against', () => {
    const functions = [
      'isEncapsulatedTransferSyntax',
      'bufferSource',
      'fileSource',
      'datasetOffset',
      'parseInstance',
      'openDataset',
      'locateBulkData',
      'readFrames',
      'transcodeToExplicitLittle',
      'encodePart10',
      'wrapDataset',
      'readDicomdirReferences',
      'decodeText',
      'tagOfKeyword',
      'keywordOfTag',
      'vrOfTag',
      'tagToHex',
      'jsonString',
    ];
    for (const name of functions) expect(typeof (dicom as Record<string, unknown>)[name], name).toBe('function');
    expect(dicom.BULK_MARKER).toBe('\u0001');
    expect(dicom.IMPLEMENTATION_CLASS_UID).toBe('1.2.826.0.1.3680043.10.1456.1');
    expect(dicom.IMPLEMENTATION_VERSION_NAME).toBe('IMGBRIDGE_01');
    expect(new dicom.FrameRangeError('x', 2, 1)).toBeInstanceOf(Error);
    expect(new dicom.TranscodeError('x')).toBeInstanceOf(Error);
    expect(new dicom.DicomParseError('x', 3).offset).toBe(3);
  });

  it('counts every transfer syntax except the four native ones as encapsulated', () => {
    for (const uid of Object.values(dicom.TransferSyntax)) expect(dicom.isEncapsulatedTransferSyntax(uid)).toBe(false);
    expect(dicom.isEncapsulatedTransferSyntax('1.2.840.10008.1.2.1.98')).toBe(true);
    expect(dicom.isEncapsulatedTransferSyntax('1.2.840.10008.1.2.4.50')).toBe(true);
  });

  it('reads first values as strings with jsonString', () => {
    const json = {
      '00100010': { vr: 'PN', Value: [{ Ideographic: '山田^太郎' }] },
      '00200013': { vr: 'IS', Value: [7] },
      '00100030': { vr: 'DA' },
    };
    expect(dicom.jsonString(json, '00100010')).toBe('山田^太郎');
    expect(dicom.jsonString(json, '00200013')).toBe('7');
    expect(dicom.jsonString(json, '00100030')).toBe('');
    expect(dicom.jsonString(json, '00100020')).toBeUndefined();
  });
});
