import { crc32 } from 'node:zlib';

/**
 * One record of a pack file: a fixed header, the object's bytes exactly as received (sealed,
 * chunked-cipher.ts, when the data directory is encrypted), then a small JSON note (sealed too) (the SOP Instance UID and where the object came from, enough to index it
 * again after a crash). The object starts right after the header, so a key that names the
 * object's offset also names its record. Records start on 8-byte boundaries, so a reader that meets a
 * torn or never-written stretch can look for the next header.
 *
 *   0  "IBPK"            magic
 *   4  u8 state          1 live, 0 erased (payload zeroed: deleted or refused)
 *   5  3 bytes reserved
 *   8  u32 note length
 *  12  u32 payload length
 *  16  u32 CRC-32 of payload + note (of the bytes as written live)
 *  20  u32 CRC-32 of bytes 0..19 with state = 1
 *  24  payload, then note, then zeros up to the next 8-byte boundary
 */
export const HEADER_BYTES = 24;
export const ALIGN = 8;
const MAGIC = 0x4b504249; // "IBPK" little endian
export const STATE_OFFSET = 4;

export interface RecordNote {
  /** SOP Instance UID of the object. */
  sop: string;
  /** Where it came from (AE title, "stow", …), as in the index. */
  source: string;
}

export interface ScannedRecord {
  /** Offset of the record's header in its file. */
  start: number;
  /** Offset of the payload (the object's first byte). */
  dataOffset: number;
  size: number;
  live: boolean;
  note: RecordNote;
  /** Offset just past the record (aligned): where the next one may start. */
  end: number;
}

export const aligned = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** How a note is written: JSON, or JSON sealed when the packs are encrypted (the SOP Instance UID is PHI-adjacent). */
export interface NoteCodec {
  encode(note: RecordNote): Buffer;
  decode(bytes: Buffer): RecordNote;
}

export const JSON_NOTES: NoteCodec = {
  encode: (note) => Buffer.from(JSON.stringify(note), 'utf8'),
  decode: (bytes) => JSON.parse(bytes.toString('utf8')) as RecordNote,
};

/**
 * The buffers of one record, to be written in this order at an aligned offset. The payload may
 * be the pieces it arrived in (written as they are, one writev; no copy into one Buffer);
 * `knownPayloadCrc` is its CRC-32 when the caller computed it already.
 */
export function encodeRecord(
  note: RecordNote,
  payload: Buffer | readonly Buffer[],
  notes: NoteCodec = JSON_NOTES,
  knownPayloadCrc?: number,
): Buffer[] {
  const pieces = Buffer.isBuffer(payload) ? [payload] : payload;
  let payloadLength = 0;
  let payloadCrc = 0;
  for (const p of pieces) {
    payloadLength += p.length;
    if (knownPayloadCrc === undefined) payloadCrc = crc32(p, payloadCrc);
  }
  if (knownPayloadCrc !== undefined) payloadCrc = knownPayloadCrc;
  const noteBytes = notes.encode(note);
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt8(1, STATE_OFFSET);
  head.writeUInt32LE(noteBytes.length, 8);
  head.writeUInt32LE(payloadLength, 12);
  head.writeUInt32LE(crc32(noteBytes, payloadCrc), 16);
  head.writeUInt32LE(crc32(head.subarray(0, 20)), 20);
  const used = HEADER_BYTES + payloadLength + noteBytes.length;
  const pad = aligned(used) - used;
  return pad > 0 ? [head, ...pieces, noteBytes, Buffer.alloc(pad)] : [head, ...pieces, noteBytes];
}

/**
 * Reads the record at `start` of a file, or undefined when there is none (zeros, a torn
 * header, or with `verify` a live record whose bytes do not match their CRC: its write
 * never completed).
 */
export function readRecord(
  read: (offset: number, length: number) => Buffer,
  start: number,
  fileSize: number,
  verify: boolean,
  notes: NoteCodec = JSON_NOTES,
): ScannedRecord | undefined {
  if (start + HEADER_BYTES > fileSize) return undefined;
  const h = read(start, HEADER_BYTES);
  if (h.readUInt32LE(0) !== MAGIC) return undefined;
  const state = h.readUInt8(STATE_OFFSET);
  const check = Buffer.from(h.subarray(0, 20));
  check.writeUInt8(1, STATE_OFFSET);
  if (crc32(check) !== h.readUInt32LE(20) || (state !== 0 && state !== 1)) return undefined;
  const noteLength = h.readUInt32LE(8);
  const size = h.readUInt32LE(12);
  const dataOffset = start + HEADER_BYTES;
  if (dataOffset + size + noteLength > fileSize) return undefined;
  const noteBytes = read(dataOffset + size, noteLength);
  let note: RecordNote;
  try {
    note = notes.decode(noteBytes);
  } catch {
    return undefined;
  }
  const live = state === 1;
  if (verify && live && crc32(noteBytes, crc32(read(dataOffset, size))) !== h.readUInt32LE(16)) return undefined;
  return { start, dataOffset, size, live, note, end: aligned(dataOffset + size + noteLength) };
}
