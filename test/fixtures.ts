import { encapsulatePixelData, encodePart10, type DicomJson } from '../src/dicom/index.js';

export const ROOT = '1.2.826.0.1.3680043.10.1456.88';

export interface FixtureOptions {
  study?: string;
  series?: string;
  sop?: string;
  patientId?: string;
  patientName?: string;
  modality?: string;
  studyDate?: string;
  transferSyntaxUid?: string;
  rows?: number;
  columns?: number;
  description?: string;
}

/** A small, valid CT instance as a Part 10 file (our writer; DCMTK-written files are tested elsewhere). */
export function ctInstance(o: FixtureOptions = {}): Buffer {
  const rows = o.rows ?? 4;
  const columns = o.columns ?? 4;
  const pixels = Buffer.alloc(rows * columns * 2);
  for (let i = 0; i < rows * columns; i++) pixels.writeUInt16LE(i, i * 2);
  const json: DicomJson = {
    '00080005': { vr: 'CS', Value: ['ISO_IR 192'] },
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    '00080018': { vr: 'UI', Value: [o.sop ?? `${ROOT}.3.1`] },
    '00080020': { vr: 'DA', Value: [o.studyDate ?? '20240101'] },
    '00080030': { vr: 'TM', Value: ['120000'] },
    '00080050': { vr: 'SH', Value: ['ACC1'] },
    '00080060': { vr: 'CS', Value: [o.modality ?? 'CT'] },
    '00081030': { vr: 'LO', Value: [o.description ?? 'Fixture study'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: o.patientName ?? 'Doe^Jane' }] },
    '00100020': { vr: 'LO', Value: [o.patientId ?? 'P1'] },
    '0020000D': { vr: 'UI', Value: [o.study ?? `${ROOT}.1`] },
    '0020000E': { vr: 'UI', Value: [o.series ?? `${ROOT}.2`] },
    '00200010': { vr: 'SH', Value: ['S1'] },
    '00200011': { vr: 'IS', Value: [1] },
    '00200013': { vr: 'IS', Value: [1] },
    '00280002': { vr: 'US', Value: [1] },
    '00280004': { vr: 'CS', Value: ['MONOCHROME2'] },
    '00280010': { vr: 'US', Value: [rows] },
    '00280011': { vr: 'US', Value: [columns] },
    '00280100': { vr: 'US', Value: [16] },
    '00280101': { vr: 'US', Value: [16] },
    '00280102': { vr: 'US', Value: [15] },
    '00280103': { vr: 'US', Value: [0] },
    '7FE00010': { vr: 'OW', BulkDataURI: '7FE00010' },
  };
  return encodePart10(json, { transferSyntaxUid: o.transferSyntaxUid, bulk: { '7FE00010': pixels } });
}

export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** Fake JPEG frames (SOI … EOI markers around a recognisable payload): frames are not decoded here. */
export function jpegLikeFrames(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(50 + i * 7, i + 1), Buffer.from([0xff, 0xd9])]),
  );
}

/** A multi-frame instance whose pixel data is encapsulated (JPEG Baseline transfer syntax). */
export function encapsulatedInstance(o: FixtureOptions & { frames: Buffer[] }): Buffer {
  const json: DicomJson = {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] },
    '00080018': { vr: 'UI', Value: [o.sop ?? `${ROOT}.3.2`] },
    '00080060': { vr: 'CS', Value: ['OT'] },
    '00100020': { vr: 'LO', Value: [o.patientId ?? 'P1'] },
    '0020000D': { vr: 'UI', Value: [o.study ?? `${ROOT}.1`] },
    '0020000E': { vr: 'UI', Value: [o.series ?? `${ROOT}.2`] },
    '00280002': { vr: 'US', Value: [1] },
    '00280004': { vr: 'CS', Value: ['MONOCHROME2'] },
    '00280008': { vr: 'IS', Value: [o.frames.length] },
    '00280010': { vr: 'US', Value: [8] },
    '00280011': { vr: 'US', Value: [8] },
    '00280100': { vr: 'US', Value: [8] },
    '00280101': { vr: 'US', Value: [8] },
    '00280102': { vr: 'US', Value: [7] },
    '00280103': { vr: 'US', Value: [0] },
    '7FE00010': { vr: 'OB', BulkDataURI: '7FE00010' },
  };
  return encodePart10(json, { transferSyntaxUid: JPEG_BASELINE, bulk: { '7FE00010': encapsulatePixelData(o.frames) } });
}
