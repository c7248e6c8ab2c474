/**
 * Test images for the rendering suites: native ones written with our own DICOM writer, and
 * compressed copies made by DCMTK (dcmcjpeg, dcmcjpls, dcmcrle, img2dcm) from them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type * as Codecs from 'dcmjs-codecs';
import { BULK_MARKER } from '../../src/dicom/bulkdata.js';
import { encapsulatePixelData } from '../../src/dicom/encapsulate.js';
import { bufferSource, parseInstance } from '../../src/dicom/index.js';
import { encodePart10 } from '../../src/dicom/part10-writer.js';
import { initCodecs } from '../../src/dicom/render/decode-frame.js';
import type { DicomJson } from '../../src/dicom/types.js';

export const RENDER_STUDY = '1.2.826.0.1.3680043.10.1456.88.1';
const ROOT = '1.2.826.0.1.3680043.10.1456.88';

export interface PixelSpec {
  name: string;
  series: number;
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  photometric: string;
  samples?: 1 | 3;
  planar?: 0 | 1;
  frames?: number;
  pixels: Buffer;
  /** Extra attributes (window, rescale, palette...). */
  extra?: DicomJson;
  sopClass?: string;
}

const us = (...v: number[]) => ({ vr: 'US', Value: v });
const ds = (...v: number[]) => ({ vr: 'DS', Value: v });

/** A Part 10 file (Explicit VR Little Endian) for one spec; SOP Instance UID from name and series. */
export function writeImage(dir: string, spec: PixelSpec, instanceNumber = 1): string {
  const sop = `${ROOT}.${spec.series}.${instanceNumber}.${Buffer.from(spec.name).readUInt16BE(0)}`;
  const json: DicomJson = {
    '00080016': { vr: 'UI', Value: [spec.sopClass ?? '1.2.840.10008.5.1.4.1.1.7'] },
    '00080018': { vr: 'UI', Value: [sop] },
    '00080060': { vr: 'CS', Value: ['OT'] },
    '00100020': { vr: 'LO', Value: ['RENDER-1'] },
    '0020000D': { vr: 'UI', Value: [RENDER_STUDY] },
    '0020000E': { vr: 'UI', Value: [`${ROOT}.${spec.series}`] },
    '00200011': { vr: 'IS', Value: [spec.series] },
    '00200013': { vr: 'IS', Value: [instanceNumber] },
    '00280002': us(spec.samples ?? 1),
    '00280004': { vr: 'CS', Value: [spec.photometric] },
    ...(spec.samples === 3 ? { '00280006': us(spec.planar ?? 0) } : {}),
    ...(spec.frames ? { '00280008': { vr: 'IS', Value: [spec.frames] } } : {}),
    '00280010': us(spec.rows),
    '00280011': us(spec.columns),
    '00280100': us(spec.bitsAllocated),
    '00280101': us(spec.bitsStored ?? spec.bitsAllocated),
    '00280102': us((spec.bitsStored ?? spec.bitsAllocated) - 1),
    '00280103': us(spec.signed ? 1 : 0),
    ...spec.extra,
    '7FE00010': { vr: spec.bitsAllocated === 16 ? 'OW' : 'OB', BulkDataURI: `${BULK_MARKER}7FE00010` },
  };
  const path = join(dir, `${spec.name}.dcm`);
  writeFileSync(path, encodePart10(json, { bulk: { '7FE00010': spec.pixels } }));
  return path;
}

/** 16-bit signed CT-like data: stored values −1000…3000, rescale intercept −1024, window 40/400 in the file. */
export function ctSpec(name = 'ct16', series = 1): PixelSpec {
  const rows = 64;
  const columns = 80;
  const pixels = Buffer.alloc(rows * columns * 2);
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < columns; x++) pixels.writeInt16LE(((x * 61 + y * 97) % 4001) - 1000, (y * columns + x) * 2);
  return {
    name,
    series,
    rows,
    columns,
    bitsAllocated: 16,
    bitsStored: 16,
    signed: true,
    photometric: 'MONOCHROME2',
    pixels,
    sopClass: '1.2.840.10008.5.1.4.1.1.2',
    extra: { '00281050': ds(40), '00281051': ds(400), '00281052': ds(-1024), '00281053': ds(1) },
  };
}

/** 12-bit unsigned data in 16 bits (what dcmcjpeg's lossless and JPEG-LS compress). */
export function ct12Spec(name = 'ct12', series = 2): PixelSpec {
  const rows = 48;
  const columns = 64;
  const pixels = Buffer.alloc(rows * columns * 2);
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < columns; x++) pixels.writeUInt16LE((x * 53 + y * 131) % 4096, (y * columns + x) * 2);
  return { name, series, rows, columns, bitsAllocated: 16, bitsStored: 12, photometric: 'MONOCHROME2', pixels };
}

export function gradient8(rows: number, columns: number, frames = 1, samples = 1): Buffer {
  const b = Buffer.alloc(rows * columns * samples * frames);
  for (let f = 0; f < frames; f++)
    for (let i = 0; i < rows * columns; i++)
      for (let s = 0; s < samples; s++)
        b[(f * rows * columns + i) * samples + s] =
          ((i % columns) * 3 + Math.floor(i / columns) * 5 + s * 70 + f * 40) & 0xff;
  return b;
}

/** Interleaved RGB → planar (RRR…GGG…BBB…). */
export function toPlanar(rgb: Buffer): Buffer {
  const n = rgb.length / 3;
  const out = Buffer.alloc(rgb.length);
  for (let i = 0; i < n; i++) for (let s = 0; s < 3; s++) out[s * n + i] = rgb[i * 3 + s]!;
  return out;
}

/** 256-entry 16-bit palettes (descriptor 256\0\16). */
export function paletteExtra(): DicomJson {
  const lut = (f: (i: number) => number) => {
    const b = Buffer.alloc(512);
    for (let i = 0; i < 256; i++) b.writeUInt16LE(f(i) * 257, i * 2);
    return { vr: 'OW', InlineBinary: b.toString('base64') };
  };
  return {
    '00281101': us(256, 0, 16),
    '00281102': us(256, 0, 16),
    '00281103': us(256, 0, 16),
    '00281201': lut((i) => i),
    '00281202': lut((i) => 255 - i),
    '00281203': lut((i) => (i * 7) & 0xff),
  };
}

/** Runs a DCMTK tool; returns the output path. */
export function dcmtk(tool: string, args: string[], out: string): string {
  execFileSync(`/usr/bin/${tool}`, [...args, out], { stdio: 'pipe' });
  return out;
}

/**
 * DCMTK's own rendering of a file as 8-bit PNG with extra options (+Ww c w, +F n…): dcmj2pnm
 * (dcm2pnm with the JPEG and RLE decoders), or dcml2pnm for JPEG-LS.
 */
export function dcm2png(file: string, options: string[], out: string, tool = 'dcmj2pnm'): Buffer {
  execFileSync(`/usr/bin/${tool}`, ['+on', ...options, file, out], { stdio: 'pipe' });
  return readFileSync(out);
}

/**
 * A JPEG 2000 (lossless) copy of a 16-bit grayscale spec. DCMTK has no JPEG 2000 codec, so the
 * codestream comes from OpenJPEG (dcmjs-codecs' encoder); the test compares it with the native original.
 */
export async function writeJpeg2000(dir: string, spec: PixelSpec): Promise<string> {
  const codecs = createRequire(import.meta.url)('dcmjs-codecs') as typeof Codecs;
  await initCodecs();
  const context = new codecs.Context({
    width: spec.columns,
    height: spec.rows,
    bitsAllocated: spec.bitsAllocated,
    bitsStored: spec.bitsStored ?? spec.bitsAllocated,
    samplesPerPixel: 1,
    pixelRepresentation: spec.signed ? 1 : 0,
    planarConfiguration: 0,
    photometricInterpretation: spec.photometric,
    decodedBuffer: new Uint8Array(spec.pixels),
  });
  const encoded = codecs.NativeCodecs.encodeJpeg2000(context, { lossy: false }).getEncodedBuffer()!;
  const native = writeImage(dir, spec);
  const parsed = readFileSync(native);
  const path = join(dir, `${spec.name}-j2k.dcm`);
  const json = { ...datasetJson(parsed), '7FE00010': { vr: 'OB', BulkDataURI: `${BULK_MARKER}7FE00010` } };
  writeFileSync(
    path,
    encodePart10(json, {
      transferSyntaxUid: '1.2.840.10008.1.2.4.90',
      bulk: { '7FE00010': encapsulatePixelData([Buffer.from(encoded)]) },
    }),
  );
  return path;
}

function datasetJson(file: Buffer): DicomJson {
  return parseInstance(bufferSource(file), { bulkDataThreshold: Number.POSITIVE_INFINITY }).json;
}
