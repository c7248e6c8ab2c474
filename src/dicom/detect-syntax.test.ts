import { describe, expect, it } from 'vitest';
import { detectDatasetSyntax } from './detect-syntax.js';
import { DicomParseError, bufferSource, parseInstance } from './index.js';

/** The first 6 bytes of a data set: tag (group, element) in one byte order, then two bytes. */
function head(group: number, element: number, littleEndian: boolean, next: string): Buffer {
  const b = Buffer.alloc(6);
  if (littleEndian) {
    b.writeUInt16LE(group, 0);
    b.writeUInt16LE(element, 2);
  } else {
    b.writeUInt16BE(group, 0);
    b.writeUInt16BE(element, 2);
  }
  b.write(next, 4, 'latin1');
  return b;
}

describe('detectDatasetSyntax (as DCMTK DcmItem::checkTransferSyntax)', () => {
  const cases: [string, Buffer, { explicit: boolean; littleEndian: boolean }][] = [
    ['explicit VR little endian', head(0x0008, 0x0005, true, 'CS'), { explicit: true, littleEndian: true }],
    ['explicit VR big endian', head(0x0008, 0x0005, false, 'CS'), { explicit: true, littleEndian: false }],
    ['implicit VR little endian', head(0x0008, 0x0005, true, '\x0a\x00'), { explicit: false, littleEndian: true }],
    ['implicit VR big endian', head(0x0008, 0x0016, false, '\x00\x00'), { explicit: false, littleEndian: false }],
    ['a group length first, big endian', head(0x0008, 0x0000, false, 'UL'), { explicit: true, littleEndian: false }],
    [
      'a tag known in neither order: little endian',
      head(0x0009, 0x1234, true, 'LO'),
      { explicit: true, littleEndian: true },
    ],
  ];
  for (const [name, bytes, expected] of cases) {
    it(`detects ${name}`, () => {
      expect(detectDatasetSyntax(bytes)).toMatchObject(expected);
    });
  }

  it('refuses a data set that looks implicit VR big endian (not a DICOM transfer syntax)', () => {
    const bytes = Buffer.concat([head(0x0008, 0x0016, false, '\x00\x00'), Buffer.alloc(2), Buffer.alloc(64)]);
    expect(() => parseInstance(bufferSource(bytes))).toThrow(DicomParseError);
    expect(() => parseInstance(bufferSource(bytes))).toThrow(/implicit VR big endian/);
  });

  it('still calls bytes that start with no plausible element "not DICOM"', () => {
    expect(() => parseInstance(bufferSource(Buffer.from('this is not DICOM, it is plain text')))).toThrow(/not DICOM/);
  });
});
