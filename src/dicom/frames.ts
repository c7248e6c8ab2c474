/**
 * Frame extraction. Native frames are sliced by size (bit-packed 1-bit frames realigned,
 * big-endian words swapped); encapsulated frames are assembled from fragments using the
 * Extended Offset Table, the Basic Offset Table, or the fragment count, in that order.
 */
import type { BulkEntry } from './dataset-parser.js';
import { jsonString } from './json-values.js';
import { type OpenedDataset, openAnyDataset } from './parse-instance.js';
import {
  DicomParseError,
  FrameRangeError,
  type ByteSource,
  type DicomJson,
  type PixelDataInfo,
  type ValueLocation,
} from './types.js';
import { swapInPlace } from './vr.js';

export interface FrameResult {
  frames: Buffer[];
  encapsulated: boolean;
  transferSyntaxUid: string;
}

function intOf(json: DicomJson, tagHex: string, fallback: number): number {
  const n = Number(jsonString(json, tagHex));
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

/** `opened`: the same source already opened with bulkDataThreshold 0 (saves parsing it twice). */
export function readFrames(source: ByteSource, frameNumbers: number[], opened?: OpenedDataset): FrameResult {
  const { data, parsed, bulk } = opened ?? openAnyDataset(source, { bulkDataThreshold: 0 });
  const pixel = parsed.pixelData;
  const count = pixel ? intOf(parsed.json, '00280008', 1) : 0;
  for (const n of frameNumbers) {
    if (!Number.isInteger(n) || n < 1 || n > count) {
      throw new FrameRangeError(
        `frame ${n} does not exist: the instance has ${count} frame${count === 1 ? '' : 's'} (numbered from 1)`,
        n,
        count,
      );
    }
  }
  const frames = !pixel
    ? []
    : pixel.encapsulated
      ? encapsulatedFrames(data, pixel, count, frameNumbers, bulk)
      : nativeFrames(data, pixel, parsed.json, frameNumbers);
  return { frames, encapsulated: pixel?.encapsulated ?? false, transferSyntaxUid: parsed.transferSyntaxUid };
}

function nativeFrames(data: ByteSource, pixel: PixelDataInfo, json: DicomJson, frameNumbers: number[]): Buffer[] {
  const bitsAllocated = intOf(json, '00280100', 8);
  const frameBits =
    intOf(json, '00280010', 0) * intOf(json, '00280011', 0) * intOf(json, '00280002', 1) * bitsAllocated;
  if (frameBits === 0) throw new DicomParseError('Rows, Columns or BitsAllocated missing: cannot size native frames');
  const { offset, length } = pixel.location;
  return frameNumbers.map((n) => {
    const startBit = (n - 1) * frameBits;
    const startByte = Math.floor(startBit / 8);
    const shift = startBit % 8;
    const span = Math.ceil((shift + frameBits) / 8);
    if (startByte + span > length) {
      throw new DicomParseError(
        `frame ${n} needs bytes up to ${startByte + span} of PixelData but it has only ${length}`,
        offset,
      );
    }
    const raw = data.read(offset + startByte, span);
    if (frameBits % 8 !== 0 || shift !== 0) return realignBits(raw, shift, frameBits);
    if (pixel.byteOrder === 'BE' && bitsAllocated >= 16) return swapInPlace(Buffer.from(raw), bitsAllocated / 8);
    return raw;
  });
}

/**
 * 1-bit frames need not start or end on a byte boundary; shift them so bit 0 is the first
 * pixel and clear the bits after the last one, which belong to the next frame.
 */
function realignBits(raw: Buffer, shift: number, frameBits: number): Buffer {
  const out = Buffer.alloc(Math.ceil(frameBits / 8));
  for (let i = 0; i < out.length; i++) out[i] = ((raw[i]! >> shift) | ((raw[i + 1] ?? 0) << (8 - shift))) & 0xff;
  const tail = frameBits % 8;
  if (tail) out[out.length - 1] = out[out.length - 1]! & ((1 << tail) - 1);
  return out;
}

function readUint64s(data: ByteSource, entry: BulkEntry | undefined): number[] | undefined {
  if (!entry || entry.location.length < 8) return undefined;
  const b = data.read(entry.location.offset, entry.location.length - (entry.location.length % 8));
  const out: number[] = [];
  for (let o = 0; o < b.length; o += 8) out.push(Number(b.readBigUInt64LE(o)));
  return out;
}

function encapsulatedFrames(
  data: ByteSource,
  pixel: PixelDataInfo,
  count: number,
  frameNumbers: number[],
  bulk: Map<string, BulkEntry>,
): Buffer[] {
  const groups = fragmentGroups(data, pixel, count, bulk);
  return frameNumbers.map((n) => {
    const parts = groups[n - 1]!.map((f) => data.read(f.offset, f.length));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  });
}

const JPEG_SOI = 0xffd8ff;
const J2K_SOC_SIZ = 0xff4fff51;

function fragmentGroups(
  data: ByteSource,
  pixel: PixelDataInfo,
  count: number,
  bulk: Map<string, BulkEntry>,
): ValueLocation[][] {
  const fragments = pixel.fragments ?? [];
  const extended = readUint64s(data, bulk.get('7FE00001'));
  const table = extended && extended.length === count ? extended : (pixel.basicOffsetTable ?? []);
  if (table.length === count && fragments.length > 0 && (count > 1 || table[0] === 0)) {
    // Offsets count from the first fragment's item tag, 8 bytes before its value.
    // Fragments and offsets are both ascending, so one pass assigns every fragment.
    const base = fragments[0]!.offset - 8;
    const groups: ValueLocation[][] = table.map(() => []);
    let k = 0;
    for (const f of fragments) {
      const at = f.offset - 8 - base;
      while (k + 1 < table.length && at >= table[k + 1]!) k++;
      if (at >= table[k]!) groups[k]!.push(f);
    }
    if (groups.some((g) => g.length === 0)) {
      throw new DicomParseError('the pixel data offset table points at no fragment for some frames');
    }
    return groups;
  }
  if (fragments.length === count) return fragments.map((f) => [f]);
  if (count === 1) return [fragments];
  // No usable table: a frame starts at each fragment that opens a JPEG or JPEG 2000 codestream.
  const groups: ValueLocation[][] = [];
  for (const f of fragments) {
    const head = f.length >= 4 ? data.read(f.offset, 4).readUInt32BE(0) : 0;
    if (groups.length === 0 || head >>> 8 === JPEG_SOI || head === J2K_SOC_SIZ) groups.push([f]);
    else groups[groups.length - 1]!.push(f);
  }
  if (groups.length !== count) {
    throw new DicomParseError(
      `cannot tell which of the ${fragments.length} fragments belong to which of the ${count} frames`,
    );
  }
  return groups;
}
