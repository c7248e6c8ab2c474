/**
 * What the renderer needs of one stored instance: the Image Pixel attributes (with their LUT
 * data) and the bytes of the requested frames, read on the main thread through the same frame
 * extraction WADO-RS frames uses. The result is structured-cloneable: it is posted to a worker.
 */
import type { BulkEntry } from '../dataset-parser.js';
import { readFrames } from '../frames.js';
import { jsonStrings } from '../json-values.js';
import { openAnyDataset } from '../parse-instance.js';
import { TransferSyntax, isEncapsulatedTransferSyntax } from '../transfer-syntax.js';
import { DicomParseError, FrameRangeError, type ByteSource, type DicomJson } from '../types.js';
import { swapInPlace } from '../vr.js';
import { type LutTable, MODALITY_LUT_SEQUENCE, VOI_LUT_SEQUENCE, readLutSequence } from './lut-sequences.js';

/** Attributes keyed by keyword, values as dcmjs "naturalized" datasets hold them. */
export type PixelElements = Record<string, unknown>;

export interface RenderInput {
  elements: PixelElements;
  /** The frames' bytes: native frames little endian, compressed frames as stored. */
  frames: Uint8Array[];
  /** The syntax of `frames` (Explicit VR Little Endian for native pixel data). */
  transferSyntaxUid: string;
  numberOfFrames: number;
  rows: number;
  columns: number;
  /** Modality LUT Sequence and VOI LUT Sequence, when the instance has them (grayscale only). */
  modalityLut?: LutTable;
  voiLut?: LutTable;
}

const NUMBERS: readonly [string, string][] = [
  ['00280002', 'SamplesPerPixel'],
  ['00280006', 'PlanarConfiguration'],
  ['00280010', 'Rows'],
  ['00280011', 'Columns'],
  ['00280100', 'BitsAllocated'],
  ['00280101', 'BitsStored'],
  ['00280102', 'HighBit'],
  ['00280103', 'PixelRepresentation'],
  ['00281052', 'RescaleIntercept'],
  ['00281053', 'RescaleSlope'],
  ['00281050', 'WindowCenter'],
  ['00281051', 'WindowWidth'],
  ['00281101', 'RedPaletteColorLookupTableDescriptor'],
  ['00281102', 'GreenPaletteColorLookupTableDescriptor'],
  ['00281103', 'BluePaletteColorLookupTableDescriptor'],
];
const STRINGS: readonly [string, string][] = [
  ['00280004', 'PhotometricInterpretation'],
  ['00281056', 'VOILUTFunction'],
];
const LUT_DATA: readonly [string, string][] = [
  ['00281201', 'RedPaletteColorLookupTableData'],
  ['00281202', 'GreenPaletteColorLookupTableData'],
  ['00281203', 'BluePaletteColorLookupTableData'],
];

/** One value as a scalar, several as an array (how dcmjs naturalizes multi-valued attributes). */
function naturalNumbers(json: DicomJson, tag: string): number | number[] | undefined {
  const values = jsonStrings(json, tag)
    .map((s) => Number(s))
    .filter((n) => Number.isFinite(n));
  if (values.length === 0) return undefined;
  return values.length === 1 ? values[0] : values;
}

function lutBytes(
  data: ByteSource,
  json: DicomJson,
  tag: string,
  bulk: Map<string, BulkEntry>,
): ArrayBuffer | undefined {
  const entry = bulk.get(tag);
  let bytes: Buffer | undefined;
  if (entry) {
    bytes = Buffer.from(data.read(entry.location.offset, entry.location.length));
    if (entry.byteOrder === 'BE') swapInPlace(bytes, 2);
  } else {
    const inline = json[tag]?.InlineBinary;
    if (typeof inline === 'string') bytes = Buffer.from(inline, 'base64');
  }
  return bytes ? new Uint8Array(bytes).buffer : undefined;
}

/** The pixel attributes and the bytes of `frameNumbers` (1-based) of a stored instance. */
export function readRenderInput(source: ByteSource, frameNumbers: number[]): RenderInput {
  const opened = openAnyDataset(source, { bulkDataThreshold: 0 });
  const { data, parsed, bulk } = opened;
  const json = parsed.json;
  const elements: PixelElements = {};
  for (const [tag, keyword] of NUMBERS) {
    const v = naturalNumbers(json, tag);
    if (v !== undefined) elements[keyword] = v;
  }
  for (const [tag, keyword] of STRINGS) {
    const v = jsonStrings(json, tag)[0]?.trim();
    if (v) elements[keyword] = v.toUpperCase();
  }
  for (const [tag, keyword] of LUT_DATA) {
    const v = lutBytes(data, json, tag, bulk);
    if (v) elements[keyword] = v;
  }
  const rows = Number(elements.Rows ?? 0);
  const columns = Number(elements.Columns ?? 0);
  if (!parsed.pixelData || rows === 0 || columns === 0)
    throw new DicomParseError('the instance has no image pixel data (PixelData, Rows, Columns)');
  const numberOfFrames = Math.max(1, Math.floor(Number(jsonStrings(json, '00280008')[0] ?? 1)) || 1);
  const encapsulated = isEncapsulatedTransferSyntax(parsed.transferSyntaxUid);
  const frames =
    !encapsulated && elements.PhotometricInterpretation === 'YBR_FULL_422'
      ? subsampledFrames(data, parsed.pixelData.location, rows * columns * 2, numberOfFrames, frameNumbers)
      : readFrames(source, frameNumbers, opened).frames;
  const signed = elements.PixelRepresentation === 1;
  const modalityLut = readLutSequence(json, MODALITY_LUT_SEQUENCE, bulk, data, signed);
  const voiLut = readLutSequence(json, VOI_LUT_SEQUENCE, bulk, data, signed && !modalityLut);
  return {
    elements,
    frames,
    transferSyntaxUid: encapsulated ? parsed.transferSyntaxUid : TransferSyntax.ExplicitVRLittleEndian,
    numberOfFrames,
    rows,
    columns,
    ...(modalityLut ? { modalityLut } : {}),
    ...(voiLut ? { voiLut } : {}),
  };
}

/** Native YBR_FULL_422 holds two bytes per pixel (Y Y Cb Cr per pair), not three. */
function subsampledFrames(
  data: ByteSource,
  location: { offset: number; length: number },
  frameBytes: number,
  count: number,
  frameNumbers: number[],
): Buffer[] {
  return frameNumbers.map((n) => {
    if (n < 1 || n > count) throw new FrameRangeError(`frame ${n} does not exist: the instance has ${count}`, n, count);
    if (n * frameBytes > location.length)
      throw new DicomParseError(`frame ${n} lies beyond the end of PixelData`, location.offset);
    return data.read(location.offset + (n - 1) * frameBytes, frameBytes);
  });
}
