/**
 * Sample DICOM data for tests (not used by production code): datasets for the src/dicom tests, and the
 * small Part 10 instances (CT, encapsulated multi-frame, IOCM rejection note) every other suite stores.
 */
import { BULK_MARKER } from './bulkdata.js';
import { bufferSource } from './byte-source.js';
import { encapsulatePixelData } from './encapsulate.js';
import { encodePart10 } from './part10-writer.js';
import type { ByteSource, DicomJson } from './types.js';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/** A small CT-like dataset using many VRs, a nested sequence, a private block and pixel data. */
export function sampleJson(overrides: DicomJson = {}): DicomJson {
  return {
    '00080005': { vr: 'CS', Value: ['ISO_IR 100'] },
    '00080008': { vr: 'CS', Value: ['ORIGINAL', 'PRIMARY', 'AXIAL'] },
    '00080016': { vr: 'UI', Value: [CT_IMAGE_STORAGE] },
    '00080018': { vr: 'UI', Value: ['1.2.826.0.1.3680043.10.1456.9.3'] },
    '00080020': { vr: 'DA', Value: ['20240131'] },
    '00080060': { vr: 'CS', Value: ['CT'] },
    '00081030': { vr: 'LO', Value: ['Thorax ohne KM'] },
    '00081115': {
      vr: 'SQ',
      Value: [
        {
          '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.4'] },
          '00081160': { vr: 'IS', Value: [1, 2, 3] },
          '0040A730': { vr: 'SQ' },
        },
        {
          '00081150': { vr: 'UI', Value: ['1.2.3'] },
          '00540016': { vr: 'SQ', Value: [{ '00181072': { vr: 'TM', Value: ['101010'] } }] },
        },
      ],
    },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Buc^Jérôme' }] },
    '00100020': { vr: 'LO', Value: ['PAT-001'] },
    '00100030': { vr: 'DA' },
    '00104000': { vr: 'LT', Value: ['  line one\\still one\r\nline two'] },
    '00181050': { vr: 'DS', Value: [0.625] },
    '0020000D': { vr: 'UI', Value: ['1.2.826.0.1.3680043.10.1456.9.1'] },
    '0020000E': { vr: 'UI', Value: ['1.2.826.0.1.3680043.10.1456.9.2'] },
    '00200013': { vr: 'IS', Value: [7] },
    '00200032': { vr: 'DS', Value: [-125.5, -130, 1.25e-5] },
    '00209161': { vr: 'UI', Value: ['1.2.3', null, '1.2.4'] },
    '00280002': { vr: 'US', Value: [1] },
    '00280004': { vr: 'CS', Value: ['MONOCHROME2'] },
    '00280010': { vr: 'US', Value: [4] },
    '00280011': { vr: 'US', Value: [4] },
    '00280100': { vr: 'US', Value: [16] },
    '00280101': { vr: 'US', Value: [12] },
    '00280103': { vr: 'US', Value: [0] },
    '00281052': { vr: 'DS', Value: [-1024] },
    '00283010': { vr: 'SQ', Value: [{ '00283002': { vr: 'US', Value: [4, 0, 16] } }] },
    '00291010': { vr: 'LO', Value: ['ACME 1.0'] },
    '00291011': { vr: 'UN', InlineBinary: Buffer.from('private!').toString('base64') },
    '00420011': { vr: 'OB', InlineBinary: Buffer.from([1, 2, 3, 4]).toString('base64') },
    '00660023': { vr: 'OW', InlineBinary: Buffer.from([1, 2, 3, 4]).toString('base64') },
    '00700084': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane', Phonetic: 'doe^jane' }, null] },
    '00720074': { vr: 'FD', Value: [3.5, -0.25] },
    '00181310': { vr: 'US', Value: [0, 256, 256, 0] },
    '00186060': { vr: 'FL', Value: [1.5] },
    '00209165': { vr: 'AT', Value: ['00200032', '00280010'] },
    '0072007E': { vr: 'SS', Value: [-2, 3] },
    '00720078': { vr: 'UL', Value: [4000000000] },
    '0072007C': { vr: 'SL', Value: [-70000] },
    '00720083': { vr: 'UV', Value: [1, '18446744073709551615'] },
    '00720082': { vr: 'SV', Value: [-5, '-9223372036854775808'] },
    '7FE00010': { vr: 'OW', BulkDataURI: `${BULK_MARKER}7FE00010` },
    ...overrides,
  };
}

/** 4×4 16-bit pixels, values 0..15. */
export function samplePixels(frames = 1): Buffer {
  const b = Buffer.alloc(32 * frames);
  for (let i = 0; i < 16 * frames; i++) b.writeUInt16LE(i, i * 2);
  return b;
}

/** A ByteSource that records how many bytes were asked for. */
export function countingSource(buf: Buffer): ByteSource & { bytesRead: number; reads: number } {
  const inner = bufferSource(buf);
  const counter = {
    size: inner.size,
    bytesRead: 0,
    reads: 0,
    read(offset: number, length: number): Buffer {
      counter.bytesRead += length;
      counter.reads++;
      return inner.read(offset, length);
    },
  };
  return counter;
}

/** Sort keys recursively so datasets compare independent of insertion order. */
export function canonical(json: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const key of Object.keys(json).sort()) {
    const attr = json[key]!;
    out[key] = attr.vr === 'SQ' && attr.Value ? { ...attr, Value: (attr.Value as DicomJson[]).map(canonical) } : attr;
  }
  return out;
}

/** Explicit VR little endian element bytes, for hand-made datasets. */
export function explicitElement(tag: number, vr: string, value: Buffer): Buffer {
  const long = ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(value.length, 8);
  else h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}

/** Implicit VR little endian element bytes. */
export function implicitElement(tag: number, value: Buffer, length = value.length): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.writeUInt32LE(length >>> 0, 4);
  return Buffer.concat([h, value]);
}

// Part 10 instances stored by the archive, DICOMweb, DIMSE and bridge suites.

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
  for (let i = 0; i < rows * columns; i++) pixels.writeUInt16LE(i & 0xffff, i * 2);
  const json: DicomJson = {
    '00080005': { vr: 'CS', Value: ['ISO_IR 192'] },
    '00080016': { vr: 'UI', Value: [CT_IMAGE_STORAGE] },
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

export interface RejectionOptions {
  study: string;
  series: string;
  sop: string;
  patientId?: string;
  rejected: { series: string; sop: string; classUid?: string }[];
  code?: string;
  meaning?: string;
}

/** Key Object Selection Document Storage. */
const KEY_OBJECT_SELECTION = '1.2.840.10008.5.1.4.1.1.88.59';

/** An IHE IOCM rejection note: Key Object Selection titled (113001, DCM) by default. */
export function rejectionNote(o: RejectionOptions): Buffer {
  const bySeries = new Map<string, { sop: string; classUid?: string }[]>();
  for (const r of o.rejected) bySeries.get(r.series)?.push(r) ?? bySeries.set(r.series, [r]);
  const json: DicomJson = {
    '00080016': { vr: 'UI', Value: [KEY_OBJECT_SELECTION] },
    '00080018': { vr: 'UI', Value: [o.sop] },
    '00080060': { vr: 'CS', Value: ['KO'] },
    '00100020': { vr: 'LO', Value: [o.patientId ?? 'P1'] },
    '0020000D': { vr: 'UI', Value: [o.study] },
    '0020000E': { vr: 'UI', Value: [o.series] },
    '00200011': { vr: 'IS', Value: [999] },
    '00200013': { vr: 'IS', Value: [1] },
    '0040A043': {
      vr: 'SQ',
      Value: [
        {
          '00080100': { vr: 'SH', Value: [o.code ?? '113001'] },
          '00080102': { vr: 'SH', Value: ['DCM'] },
          '00080104': { vr: 'LO', Value: [o.meaning ?? 'Rejected for Quality Reasons'] },
        },
      ],
    },
    '0040A375': {
      vr: 'SQ',
      Value: [
        {
          '0020000D': { vr: 'UI', Value: [o.study] },
          '00081115': {
            vr: 'SQ',
            Value: [...bySeries].map(([series, sops]) => ({
              '0020000E': { vr: 'UI', Value: [series] },
              '00081199': {
                vr: 'SQ',
                Value: sops.map((s) => ({
                  '00081150': { vr: 'UI', Value: [s.classUid ?? CT_IMAGE_STORAGE] },
                  '00081155': { vr: 'UI', Value: [s.sop] },
                })),
              },
            })),
          },
        },
      ],
    },
  };
  return encodePart10(json);
}
