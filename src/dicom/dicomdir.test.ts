import { describe, expect, it } from 'vitest';
import { bufferSource, encodePart10, readDicomdirReferences } from './index.js';

describe('readDicomdirReferences', () => {
  it('lists the ReferencedFileID of every record that has one, as path components', () => {
    const record = (type: string, file?: string[]) => ({
      '00041430': { vr: 'CS', Value: [type] },
      ...(file ? { '00041500': { vr: 'CS', Value: file } } : {}),
    });
    const dicomdir = encodePart10({
      '00020002': { vr: 'UI', Value: ['1.2.840.10008.1.3.10'] },
      '00020003': { vr: 'UI', Value: ['1.2.826.0.1.3680043.10.1456.7'] },
      '00041130': { vr: 'CS', Value: ['CD1'] },
      '00041220': {
        vr: 'SQ',
        Value: [
          record('PATIENT'),
          record('STUDY'),
          record('SERIES'),
          record('IMAGE', ['DICOM', 'ST000', 'SE000', 'IM000']),
          record('IMAGE', ['DICOM', 'ST000', 'SE000', 'IM001']),
        ],
      },
    });
    expect(readDicomdirReferences(bufferSource(dicomdir))).toEqual([
      ['DICOM', 'ST000', 'SE000', 'IM000'],
      ['DICOM', 'ST000', 'SE000', 'IM001'],
    ]);
  });
});
