/**
 * Modality LUT Sequence (0028,3000) and VOI LUT Sequence (0028,3010), PS3.3 C.11.1 and C.11.2:
 * read from the data set, and applied to a grayscale frame — dcmjs-imaging (0.2.x) knows only
 * Rescale Slope/Intercept and Window Center/Width, so a frame whose instance has one of these
 * sequences is rendered here instead (the PS3.4 N.2 grayscale pipeline: modality → VOI → display).
 */
import type { BulkEntry } from '../dataset-parser.js';
import type { ByteSource, DicomJson } from '../types.js';

/** One LUT: input value `first` maps to `data[0]`; outputs are `bits` wide. Structured-cloneable. */
export interface LutTable {
  first: number;
  bits: number;
  data: number[];
}

export const MODALITY_LUT_SEQUENCE = '00283000';
export const VOI_LUT_SEQUENCE = '00283010';
const LUT_DESCRIPTOR = '00283002';
const LUT_DATA = '00283006';

/** The first item's LUT of a sequence, or undefined when absent or malformed (then the sequence is ignored). */
export function readLutSequence(
  json: DicomJson,
  sequenceTag: string,
  bulk: Map<string, BulkEntry>,
  data: ByteSource,
  signedInput: boolean,
): LutTable | undefined {
  const item = (json[sequenceTag]?.Value as DicomJson[] | undefined)?.[0];
  const descriptor = item?.[LUT_DESCRIPTOR]?.Value as number[] | undefined;
  if (!item || !descriptor || descriptor.length !== 3) return undefined;
  const entries = descriptor[0] === 0 ? 65536 : Number(descriptor[0]);
  // The first mapped value is US or SS: with signed pixels, an unsigned reading above 32767 is negative.
  let first = Number(descriptor[1]);
  if (signedInput && first > 32767) first -= 65536;
  const bits = Number(descriptor[2]);
  let values = item[LUT_DATA]?.Value as number[] | undefined;
  if (!values) {
    const entry = bulk.get(`${sequenceTag}/0/${LUT_DATA}`);
    if (!entry) return undefined;
    const bytes = Buffer.from(data.read(entry.location.offset, entry.location.length));
    // 8-bit entries may be packed two per word (older files); otherwise one entry per 16-bit word.
    if (bits <= 8 && bytes.length === entries) values = [...bytes];
    else {
      values = [];
      for (let i = 0; i + 1 < bytes.length; i += 2)
        values.push(entry.byteOrder === 'BE' ? bytes.readUInt16BE(i) : bytes.readUInt16LE(i));
    }
  }
  if (values.length < entries || !(bits >= 8 && bits <= 16)) return undefined;
  return { first, bits, data: values.slice(0, entries).map(Number) };
}

const lookUp = (lut: LutTable, v: number): number =>
  lut.data[Math.min(lut.data.length - 1, Math.max(0, Math.round(v) - lut.first))]!;

export interface GrayscalePipeline {
  modalityLut?: LutTable;
  slope: number;
  intercept: number;
  /** A window asked for or from the file (PS3.3 C.11.2.1.2); it wins over the VOI LUT when asked for. */
  window?: { center: number; width: number; function: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' };
  voiLut?: LutTable;
  invert: boolean;
}

/** Stored values → 8-bit display values through modality LUT (or rescale), VOI (LUT or window), MONOCHROME1 inversion. */
export function renderGrayscale(stored: ArrayLike<number>, p: GrayscalePipeline): Buffer {
  const out = Buffer.allocUnsafe(stored.length);
  const modality = new Float64Array(stored.length);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < stored.length; i++) {
    const v = p.modalityLut ? lookUp(p.modalityLut, stored[i]!) : stored[i]! * p.slope + p.intercept;
    modality[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const voi = voiFunction(p, min, max);
  for (let i = 0; i < modality.length; i++) {
    const y = Math.min(255, Math.max(0, Math.round(voi(modality[i]!) * 255)));
    out[i] = p.invert ? 255 - y : y;
  }
  return out;
}

/** Modality value → 0…1. Without a window or VOI LUT: the frame's own range (as DCMTK's min-max). */
function voiFunction(p: GrayscalePipeline, min: number, max: number): (x: number) => number {
  const w = p.window;
  if (w && w.function === 'SIGMOID') return (x) => 1 / (1 + Math.exp((-4 * (x - w.center)) / w.width));
  if (w && w.function === 'LINEAR_EXACT')
    return (x) => (x <= w.center - w.width / 2 ? 0 : x > w.center + w.width / 2 ? 1 : (x - w.center) / w.width + 0.5);
  if (w)
    return (x) =>
      x <= w.center - 0.5 - (w.width - 1) / 2
        ? 0
        : x > w.center - 0.5 + (w.width - 1) / 2
          ? 1
          : (x - (w.center - 0.5)) / (w.width - 1) + 0.5;
  if (p.voiLut) {
    const lut = p.voiLut;
    const top = 2 ** lut.bits - 1;
    return (x) => lookUp(lut, x) / top;
  }
  return (x) => (max === min ? 0 : (x - min) / (max - min));
}
