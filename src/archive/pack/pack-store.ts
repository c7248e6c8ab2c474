import {
  closeSync,
  createReadStream,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  writevSync,
} from 'node:fs';
import { privateDir } from '../../core/private-files.js';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CoalescedSync } from '../../core/coalesced-sync.js';
import type { ObjectCipher } from '../../core/encryption/chunked-cipher.js';
import { fileSource } from '../../dicom/index.js';
import type { ByteSource } from '../../dicom/types.js';
import { readExactAsync, readExactSync as readExact } from '../read-exact.js';
import type { BlobJournal, JournalMark } from '../types.js';
import {
  ALIGN,
  HEADER_BYTES,
  JSON_NOTES,
  STATE_OFFSET,
  encodeRecord,
  readRecord,
  type NoteCodec,
  type RecordNote,
  type ScannedRecord,
} from './record-format.js';

export interface JournaledObject {
  key: string;
  note: RecordNote;
  bytes: Buffer;
}

interface Segment {
  id: number;
  fd: number;
  end: number;
  sync: CoalescedSync;
}

const PREFIX = 'p/';
const KEY = /^p\/(\d+)\/(\d+)\/(\d+)$/;

export const isPackKey = (key: string) => key.startsWith(PREFIX);

function parseKey(key: string): { segment: number; offset: number; size: number } {
  const m = KEY.exec(key);
  if (!m) throw new Error(`invalid pack key ${key}`);
  return { segment: Number(m[1]), offset: Number(m[2]), size: Number(m[3]) };
}

const before = (a: JournalMark, b: JournalMark) =>
  a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);

/**
 * Small objects appended to shared pack files (`<root>/packs/NNNNNNNN.pack`), one record
 * each (record-format.ts), made durable with one fdatasync of the pack that concurrent
 * writers share. An append to an open file costs far less than creating, syncing and
 * renaming a file and syncing its folder, and its record carries what is needed to index
 * the object again: the pack is the archive's journal. Keys are `p/<segment>/<offset>/<size>`.
 *
 * Unsettled objects are appended but not yet known to be in the index (or given up); the
 * archive settles each one, and the index only ever records a mark below every unsettled
 * object, so a crash can never skip an acknowledged object at the next start.
 *
 * With a `cipher`, payloads and notes are sealed (chunked-cipher.ts); keys then give the
 * sealed size, and reads decrypt.
 */
export class PackStore implements BlobJournal {
  private readonly dir: string;
  /** The segment appended to; only the one process that writes (the server) has one. */
  private current: Segment | undefined;
  private readonly readers = new Map<number, number>();
  private readonly unsettled = new Map<string, JournalMark>();
  private readonly notes: NoteCodec;

  /**
   * `writer`: this process appends (one writer per data folder: the server). Other
   * processes (CLI commands next to a running server) only read and erase.
   */
  constructor(
    root: string,
    writer: boolean,
    private readonly segmentBytes = 1 << 30,
    private readonly cipher?: ObjectCipher,
  ) {
    this.notes = cipher
      ? { encode: (n) => cipher.seal(JSON_NOTES.encode(n)), decode: (b) => JSON_NOTES.decode(cipher.open(b)) }
      : JSON_NOTES;
    this.dir = join(root, 'packs');
    privateDir(this.dir);
    if (writer) {
      const last = this.segmentIds().at(-1);
      this.current = last === undefined ? this.createSegment(1) : this.openSegment(last);
    }
  }

  /** Append one object and make it durable; resolves with its key (the object is unsettled until settle()). */
  async append(payload: Buffer, note: RecordNote): Promise<string> {
    if (!this.current) throw new Error('this process does not write packs');
    const stored = this.cipher ? this.cipher.seal(payload) : payload;
    const buffers = encodeRecord(note, stored, this.notes);
    const length = buffers.reduce((n, b) => n + b.length, 0);
    if (this.current.end > 0 && this.current.end + length > this.segmentBytes) this.rollOver(this.current);
    const seg = this.current;
    const start = seg.end;
    seg.end += length;
    const key = `${PREFIX}${seg.id}/${start + HEADER_BYTES}/${stored.length}`;
    this.unsettled.set(key, { segment: seg.id, offset: start });
    try {
      writeAllSync(seg.fd, buffers, start);
      await seg.sync.sync();
    } catch (e) {
      // The stretch stays as zeros or a torn record: readers of the pack skip it.
      this.unsettled.delete(key);
      throw e;
    }
    return key;
  }

  /** The index holds the object now, or never will (refused, duplicate). */
  settle(key: string): void {
    this.unsettled.delete(key);
  }

  /** Every object before this position is settled. */
  lowWater(): JournalMark {
    let low: JournalMark = this.current
      ? { segment: this.current.id, offset: this.current.end }
      : { segment: 0, offset: 0 };
    for (const m of this.unsettled.values()) if (before(m, low)) low = m;
    return low;
  }

  /** Live, intact objects from `mark` on, in the order they were appended. */
  *recordsFrom(mark: JournalMark): Generator<JournaledObject> {
    for (const id of this.segmentIds()) {
      if (id < mark.segment) continue;
      const fd = this.reader(id);
      const size = id === this.current?.id ? this.current.end : fstatSync(fd).size;
      for (const r of scan(fd, size, id === mark.segment ? mark.offset : 0, true, this.notes)) {
        if (!r.live) continue;
        const raw = readExact(fd, r.dataOffset, r.size);
        const bytes = this.cipher ? this.cipher.open(raw) : raw;
        yield { key: `${PREFIX}${id}/${r.dataOffset}/${r.size}`, note: r.note, bytes };
      }
    }
  }

  /** Random access to an object's bytes (plaintext). */
  open(key: string): ByteSource {
    const k = parseKey(key);
    const fd = this.reader(k.segment);
    if (!this.cipher) return fileSource(fd, k.size, undefined, k.offset);
    return this.cipher.source((o, l) => readExact(fd, k.offset + o, l), k.size);
  }

  async read(key: string): Promise<Buffer> {
    const k = parseKey(key);
    const raw = await readExactAsync(this.reader(k.segment), k.offset, k.size);
    return this.cipher ? this.cipher.open(raw) : raw;
  }

  stream(key: string, start = 0, end?: number): NodeJS.ReadableStream {
    const k = parseKey(key);
    if (this.cipher) {
      const fd = this.reader(k.segment);
      return Readable.from(
        this.cipher.stream((o, l) => readExactAsync(fd, k.offset + o, l), k.size, start, end),
        { objectMode: false },
      );
    }
    const stop = Math.min(end ?? k.size, k.size);
    return createReadStream(this.pathOf(k.segment), {
      start: k.offset + start,
      end: k.offset + stop - 1,
      highWaterMark: 1 << 20,
    });
  }

  /**
   * Erase an object: its bytes are overwritten with zeros and its record marked erased,
   * durably (a deleted study's pixels do not linger in the pack). The space is not reused.
   */
  async erase(key: string): Promise<void> {
    const k = parseKey(key);
    this.settle(key);
    const own = k.segment === this.current?.id ? this.current : undefined;
    const fd = own ? own.fd : openSync(this.pathOf(k.segment), 'r+');
    try {
      writeAllSync(fd, [Buffer.alloc(1)], k.offset - HEADER_BYTES + STATE_OFFSET);
      for (let done = 0; done < k.size; ) {
        const n = Math.min(1 << 20, k.size - done);
        writeAllSync(fd, [Buffer.alloc(n)], k.offset + done);
        done += n;
      }
      if (own) await own.sync.sync();
      else fdatasyncSync(fd);
    } finally {
      if (!own) closeSync(fd);
    }
  }

  close(): void {
    for (const fd of this.readers.values()) closeSync(fd);
    this.readers.clear();
    if (this.current) closeSync(this.current.fd);
    this.current = undefined;
  }

  private rollOver(old: Segment): void {
    // Appends in flight on the old segment keep their own fd and sync; close it once they are done.
    this.current = this.createSegment(old.id + 1);
    void old.sync.sync().finally(() => closeSync(old.fd));
  }

  private createSegment(id: number): Segment {
    const fd = openSync(this.pathOf(id), 'wx+', 0o600);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return { id, fd, end: 0, sync: new CoalescedSync(() => datasync(fd)) };
  }

  /** The last segment at start: new records go after its last intact record; a torn tail is cut off. */
  private openSegment(id: number): Segment {
    const fd = openSync(this.pathOf(id), 'r+');
    const size = fstatSync(fd).size;
    // After a crash the tail may hold a torn record (never acknowledged): cut it off.
    const lastGood = lastIntactEnd(fd, size, this.notes);
    if (lastGood < size) ftruncateSync(fd, lastGood);
    return { id, fd, end: lastGood, sync: new CoalescedSync(() => datasync(fd)) };
  }

  private reader(id: number): number {
    let fd = this.readers.get(id);
    if (fd === undefined) {
      fd = openSync(this.pathOf(id), 'r');
      this.readers.set(id, fd);
    }
    return fd;
  }

  private segmentIds(): number[] {
    return packSegmentIds(this.dir);
  }

  private pathOf(id: number): string {
    return packSegmentFile(this.dir, id);
  }
}

/** The segments of a packs folder, in order. */
export function packSegmentIds(dir: string): number[] {
  return readdirSync(dir)
    .map((n) => /^(\d{8})\.pack$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

export const packSegmentFile = (dir: string, id: number) => join(dir, `${String(id).padStart(8, '0')}.pack`);

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function writeAllSync(fd: number, buffers: Buffer[], position: number): void {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    let written = writevSync(fd, pending, at);
    at += written;
    let i = 0;
    while (i < pending.length && written >= pending[i]!.length) written -= pending[i++]!.length;
    pending = i === pending.length ? [] : [pending[i]!.subarray(written), ...pending.slice(i + 1)];
  }
}

/**
 * Records of one pack from `from` on. Where no record starts (zeros of an append that never
 * completed, a torn header), it moves on 8 bytes at a time to the next intact header.
 * With `verify`, live records whose bytes fail their CRC are skipped too.
 */
function* scan(fd: number, size: number, from: number, verify: boolean, notes: NoteCodec): Generator<ScannedRecord> {
  const reader = blockReader(fd, size);
  for (let at = from; at + HEADER_BYTES <= size; ) {
    const r = readRecord(reader, at, size, verify, notes);
    if (r) {
      yield r;
      at = r.end;
    } else at += ALIGN;
  }
}

/** Reads through a 1 MB window (headers and notes are small and close together). */
function blockReader(fd: number, size: number): (offset: number, length: number) => Buffer {
  let block: Buffer = Buffer.alloc(0);
  let blockStart = 0;
  return (offset, length) => {
    if (offset >= blockStart && offset + length <= blockStart + block.length)
      return block.subarray(offset - blockStart, offset - blockStart + length);
    if (length > 1 << 19) return readExact(fd, offset, length);
    blockStart = offset;
    block = readExact(fd, offset, Math.min(1 << 20, size - offset));
    return block.subarray(0, length);
  };
}

/** End of the last record before `end` whose bytes are intact (the last one is checked in full). */
function lastIntactEnd(fd: number, size: number, notes: NoteCodec): number {
  let last: ScannedRecord | undefined;
  let previousEnd = 0;
  for (const r of scan(fd, size, 0, false, notes)) {
    previousEnd = last?.end ?? 0;
    last = r;
  }
  if (!last) return 0;
  return readRecord((o, l) => readExact(fd, o, l), last.start, size, true, notes) ? last.end : previousEnd;
}
