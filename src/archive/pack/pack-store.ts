import {
  closeSync,
  createReadStream,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readdirSync,
  rmSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { privateDir } from '../../core/private-files.js';
import { join } from 'node:path';
import {
  type ClaimRole,
  claimNewSegment,
  claimedByOthers,
  releaseClaim,
  staleClaims,
  syncDir,
} from './segment-claims.js';
import { Readable } from 'node:stream';
import { CoalescedSync } from '../../core/coalesced-sync.js';
import type { ObjectCipher } from '../../core/encryption/chunked-cipher.js';
import { fileSource } from '../../dicom/index.js';
import type { ByteSource } from '../../dicom/types.js';
import { readExactAsync, readExactSync as readExact, readvExactAsync } from '../read-exact.js';
import type { BlobJournal, JournalMark, ReadInto } from '../types.js';
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
  /** The file holds written zeros up to here (prepareAhead); appends below it do not grow the file. */
  prepared: number;
  /** Zeros could not be written (a full disk): appends grow the file as they go. */
  unprepared?: boolean;
  /** A sync of this segment failed: every later one fails too, and appends move to a new segment. */
  broken?: Error;
  sync: CoalescedSync;
}

/** How far ahead of the append point a segment is filled with written zeros (see prepareAhead). */
export const PREPARE_BYTES = 8 << 20;
const ZEROS = Buffer.alloc(1 << 20);

const PREFIX = 'p/';
/** readMany joins records at most this far apart (a record header and alignment padding fit many times). */
const MAX_RUN_GAP = 4096;
/** …into reads of at most this many bytes. */
const MAX_RUN_BYTES = 16 * 1024 * 1024;
const KEY = /^p\/(\d+)\/(\d+)\/(\d+)$/;

export const isPackKey = (key: string) => key.startsWith(PREFIX);
export const packKey = (segment: number, dataOffset: number, size: number) =>
  `${PREFIX}${segment}/${dataOffset}/${size}`;

export function parseKey(key: string): { segment: number; offset: number; size: number } {
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
  /** Old keys of objects a compaction moved, to their copies (see forward). */
  private readonly forwards = new Map<string, string>();
  /** Segments this process claimed (segment-claims.ts); released on close. */
  private readonly claims: number[] = [];
  private readonly role: ClaimRole | undefined;

  /**
   * `writer`: this process appends, to segments of its own (segment-claims.ts): the server
   * (`true` or 'server'), an import beside it ('import'). Other processes only read and erase.
   */
  constructor(
    root: string,
    writer: boolean | ClaimRole,
    private readonly segmentBytes = 1 << 30,
    private readonly cipher?: ObjectCipher,
    private readonly prepareBytes = PREPARE_BYTES,
  ) {
    this.notes = cipher
      ? { encode: (n) => cipher.seal(JSON_NOTES.encode(n)), decode: (b) => JSON_NOTES.decode(cipher.open(b)) }
      : JSON_NOTES;
    this.dir = join(root, 'packs');
    privateDir(this.dir);
    this.role = writer === true ? 'server' : writer === false ? undefined : writer;
    // Always a fresh segment: another writer may be appending to the last one (a crashed
    // writer's torn tail is skipped by readers and dropped by compaction).
    if (this.role === 'server')
      for (const id of staleClaims(this.dir)) trimZeroTail(this.pathOf(id), cipher ? SEALED_TAIL_ZEROS : 0);
    if (this.role) this.current = this.createSegment();
  }

  /** The packs folder. */
  get folder(): string {
    return this.dir;
  }

  /** The segment this process appends to, if it writes. */
  get currentSegment(): number | undefined {
    return this.current?.id;
  }

  /** Bytes appended to the current segment so far (0 when this process does not write). */
  get currentBytes(): number {
    return this.current?.end ?? 0;
  }

  /** Segments this process claimed and no longer appends to (rolled over). */
  ownSealedSegments(): number[] {
    return this.claims.filter((id) => id !== this.current?.id);
  }

  /** Start appending to a fresh segment (after a compaction wrote one above ours: the journal mark can then pass it). */
  startNewSegment(): void {
    if (this.current) this.rollOver(this.current);
  }

  /**
   * A segment nothing refers to any more (compacted, or empty): its cached descriptor is closed
   * and its file removed. Readers that still hold an old key must be done (the compaction's grace).
   */
  removeSegment(id: number): void {
    if (id === this.current?.id) throw new Error(`segment ${id} is being appended to`);
    const fd = this.readers.get(id);
    if (fd !== undefined) closeSync(fd);
    this.readers.delete(id);
    rmSync(this.pathOf(id), { force: true });
    syncDir(this.dir);
    const own = this.claims.indexOf(id);
    if (own >= 0) {
      this.claims.splice(own, 1);
      releaseClaim(this.dir, id);
    }
  }

  /**
   * After a compaction's index switch, a reader that looked a key up before it (a long C-MOVE,
   * a study streamed to a slow client) still finds the object once the old segment is gone.
   */
  forward(moves: { from: string; to: string }[], forMs: number): void {
    for (const m of moves) this.forwards.set(m.from, m.to);
    setTimeout(() => {
      for (const m of moves) if (this.forwards.get(m.from) === m.to) this.forwards.delete(m.from);
    }, forMs).unref();
  }

  /** The records of a segment (headers and notes; payloads are not read nor checked), in order. */
  recordsOf(id: number): ScannedRecord[] {
    const fd = openSync(this.pathOf(id), 'r');
    try {
      return [...scan(fd, fstatSync(fd).size, 0, false, this.notes)];
    } finally {
      closeSync(fd);
    }
  }

  /** Append one object and make it durable; resolves with its key (the object is unsettled until settle()). */
  /** `payloadCrc`: the CRC-32 of the payload, when the caller has it already (ignored when encrypting). */
  async append(payload: Buffer | readonly Buffer[], note: RecordNote, payloadCrc?: number): Promise<string> {
    const { key, durable } = this.appendWritten(payload, note, payloadCrc);
    try {
      await durable;
    } catch (e) {
      this.settle(key);
      throw e;
    }
    return key;
  }

  /**
   * Append one object: written (readable) when this returns, durable once `durable` resolves (the
   * segment's fdatasync, shared with concurrent appends). The caller may so do other work — the
   * index commit — while the sync is in flight, and must acknowledge nothing before `durable`.
   * The object is unsettled until settle(), also after a failed sync, which rejects `durable`
   * (the stretch is left as zeros or a torn record, readers skip it): the journal mark must not
   * pass it while an index row may still name it.
   */
  appendWritten(
    payload: Buffer | readonly Buffer[],
    note: RecordNote,
    payloadCrc?: number,
  ): { key: string; durable: Promise<void> } {
    if (!this.current) throw new Error('this process does not write packs');
    const stored = this.cipher
      ? this.cipher.seal(Buffer.isBuffer(payload) ? payload : Buffer.concat(payload as Buffer[]))
      : payload;
    const buffers = encodeRecord(note, stored, this.notes, this.cipher ? undefined : payloadCrc);
    const length = buffers.reduce((n, b) => n + b.length, 0);
    const storedLength = Buffer.isBuffer(stored) ? stored.length : stored.reduce((n, b) => n + b.length, 0);
    if (this.current.broken || (this.current.end > 0 && this.current.end + length > this.segmentBytes))
      this.rollOver(this.current);
    const seg = this.current;
    const start = seg.end;
    seg.end += length;
    const key = `${PREFIX}${seg.id}/${start + HEADER_BYTES}/${storedLength}`;
    this.unsettled.set(key, { segment: seg.id, offset: start });
    try {
      writeAllSync(seg.fd, buffers, start);
    } catch (e) {
      // The stretch stays as zeros or a torn record: readers of the pack skip it.
      this.unsettled.delete(key);
      throw e;
    }
    // After this append's sync, not before: its zeros are not on its own sync's path.
    const durable = seg.sync.sync().then(() => this.prepareAhead(seg));
    return { key, durable };
  }

  /**
   * Is the record `key` names whole on disk: a live record starting right before the object, of
   * its size, whose bytes match their CRC (record-format.ts)? Recovery asks this of index rows
   * committed while their append's sync was in flight (docs/journal-recovery.md).
   */
  holdsIntact(key: string): boolean {
    const k = parseKey(key);
    let fd: number;
    try {
      fd = openSync(this.pathOf(k.segment), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    try {
      const size = fstatSync(fd).size;
      const start = k.offset - HEADER_BYTES;
      if (start < 0) return false;
      const r = readRecord((o, l) => readExact(fd, o, l), start, size, true, this.notes);
      return r?.live === true && r.dataOffset === k.offset && r.size === k.size;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Keeps written, synced zeros ahead of the append point (up to prepareBytes, refilled when half
   * is used), as PostgreSQL does with WAL segments: an append then overwrites blocks that are
   * allocated already and the file's size does not change, so its fdatasync writes the data
   * alone, without the journal commit of the file's new size and extents (ext4). Readers find
   * the true end of the data as they find any stretch no record starts in (scan skips zeros), and
   * the tail is cut off when the segment is left (rollOver, close). The zeros are written on the
   * main thread, where appends write too: nothing can land in the stretch while they are written.
   */
  private prepareAhead(seg: Segment): void {
    if (this.prepareBytes <= 0 || seg !== this.current || seg.unprepared || seg.broken) return;
    if (seg.prepared - seg.end >= this.prepareBytes / 2) return;
    const from = Math.max(seg.prepared, seg.end);
    const to = Math.min(seg.end + this.prepareBytes, Math.max(this.segmentBytes, seg.end));
    if (to <= from) return;
    try {
      for (let at = from; at < to; ) at += writeSync(seg.fd, ZEROS, 0, Math.min(ZEROS.length, to - at), at);
    } catch {
      // Out of space, say: appends go on growing the file (what they write fails on its own).
      seg.unprepared = true;
      return;
    }
    seg.prepared = to;
    // Synced now, in the background (a failure makes the segment's later syncs fail: see createSegment).
    seg.sync.sync().catch(() => undefined);
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
    // Another running writer's segment is not ours to judge: its objects are not all indexed yet.
    const busy = claimedByOthers(this.dir);
    for (const id of this.segmentIds()) {
      if (id < mark.segment || busy.has(id)) continue;
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
    const k = parseKey(this.forwards.get(key) ?? key);
    const fd = this.reader(k.segment);
    if (!this.cipher) return fileSource(fd, k.size, undefined, k.offset);
    return this.cipher.source((o, l) => readExact(fd, k.offset + o, l), k.size);
  }

  async read(key: string): Promise<Buffer> {
    const k = parseKey(this.forwards.get(key) ?? key);
    const raw = await readExactAsync(this.reader(k.segment), k.offset, k.size);
    return this.cipher ? this.cipher.open(raw) : raw;
  }

  /**
   * Several whole objects, in order. Objects that follow each other in one segment (records
   * appended back to back: only a record header and padding between them) are read with one
   * positional read and handed out as views of it; the rest one read each. Reads fill buffers
   * from `into` where it gives one (not when sealed: those are opened into new buffers anyway).
   */
  async readMany(keys: string[], into?: ReadInto): Promise<Buffer[]> {
    const places = keys.map((key) => parseKey(this.forwards.get(key) ?? key));
    const out: Buffer[] = [];
    for (let first = 0; first < places.length; ) {
      const a = places[first]!;
      let last = first;
      for (;;) {
        const prev = places[last]!;
        const next = places[last + 1];
        if (!next || next.segment !== a.segment) break;
        const gap = next.offset - (prev.offset + prev.size);
        if (gap < 0 || gap > MAX_RUN_GAP || next.offset + next.size - a.offset > MAX_RUN_BYTES) break;
        last++;
      }
      const z = places[last]!;
      if (into && !this.cipher) {
        out.push(...(await this.readRunInto(places.slice(first, last + 1), into)));
        first = last + 1;
        continue;
      }
      const length = z.offset + z.size - a.offset;
      const raw = await readExactAsync(this.reader(a.segment), a.offset, length);
      for (let k = first; k <= last; k++) {
        const p = places[k]!;
        const bytes = raw.subarray(p.offset - a.offset, p.offset - a.offset + p.size);
        out.push(this.cipher ? this.cipher.open(bytes) : bytes);
      }
      first = last + 1;
    }
    return out;
  }

  /**
   * One run of neighbouring records (not sealed) read with one readv: each object into its own
   * buffer from `into` (a new one where it gives none), the record headers between them into a
   * scratch buffer. The caller may so place each object where it wants (room in front of it).
   */
  private async readRunInto(
    run: readonly { segment: number; offset: number; size: number }[],
    into: ReadInto,
  ): Promise<Buffer[]> {
    const objects = run.map((p) => into(p.size) ?? Buffer.allocUnsafe(p.size));
    const gaps = run.slice(1).map((p, i) => p.offset - (run[i]!.offset + run[i]!.size));
    const scratch = Buffer.allocUnsafe(Math.max(0, ...gaps));
    const buffers: Buffer[] = [objects[0]!];
    gaps.forEach((gap, i) => buffers.push(scratch.subarray(0, gap), objects[i + 1]!));
    await readvExactAsync(this.reader(run[0]!.segment), run[0]!.offset, buffers);
    return objects;
  }

  stream(key: string, start = 0, end?: number): NodeJS.ReadableStream {
    const k = parseKey(this.forwards.get(key) ?? key);
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
    let fd: number;
    try {
      fd = own ? own.fd : openSync(this.pathOf(k.segment), 'r+');
    } catch (e) {
      // A compaction removed the segment after moving what the index referred to: nothing left to erase.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
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
    if (this.current) {
      trimTail(this.current);
      closeSync(this.current.fd);
    }
    this.current = undefined;
    for (const id of this.claims.splice(0)) releaseClaim(this.dir, id);
  }

  private rollOver(old: Segment): void {
    // Appends in flight on the old segment keep their own fd and sync; close it once they are done.
    // Its claim stays until close: the in-process compactor knows (lowWater) when it is settled.
    // Its prepared zeros go now (everything appended to it is written already: appends write at once).
    trimTail(old);
    this.current = this.createSegment();
    void old.sync
      .sync()
      .catch(() => undefined) // the appends that wait for it hear of a failure
      .finally(() => closeSync(old.fd));
  }

  private createSegment(): Segment {
    const id = claimNewSegment(this.dir, this.role ?? 'server', (n) => this.pathOf(n));
    this.claims.push(id);
    const fd = openSync(this.pathOf(id), 'r+');
    const seg: Segment = { id, fd, end: 0, prepared: 0, sync: new CoalescedSync(() => syncOf(seg)) };
    return seg;
  }

  private reader(id: number): number {
    let fd = this.readers.get(id);
    if (fd === undefined) {
      fd = openSync(this.pathOf(id), 'r');
      this.readers.set(id, fd);
    }
    return fd;
  }

  segmentIds(): number[] {
    return packSegmentIds(this.dir);
  }

  pathOf(id: number): string {
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

/**
 * A failed fdatasync may have reported, and cleared, the error of a write another caller still
 * waits to see synced (a background sync of prepared zeros, say): the segment's later syncs fail too.
 */
async function syncOf(seg: Segment): Promise<void> {
  if (seg.broken) throw seg.broken;
  try {
    await datasync(seg.fd);
  } catch (e) {
    seg.broken = e as Error;
    throw e;
  }
}

/** Cuts off the prepared zeros past the last record of a segment no longer appended to (a crash leaves them: scan skips them). */
function trimTail(seg: Segment): void {
  if (seg.prepared <= seg.end) return;
  try {
    ftruncateSync(seg.fd, seg.end);
  } catch {
    // Zeros left behind are skipped by readers and dropped by compaction.
  }
}

/**
 * The zeros a crashed writer had prepared (prepareAhead) go when the server starts: the segment
 * is cut after its last byte that is not zero plus `keepZeros`, rounded up to a record boundary.
 * A plain record ends with its JSON note ("}"), never a zero byte, so nothing of it is cut. A
 * sealed note ends with a random GCM tag, whose last bytes may be zeros: keeping 16 zeros more
 * cuts into a record only if its last 17 bytes are all zero (odds 2^-136).
 */
function trimZeroTail(path: string, keepZeros: number): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    return; // gone already (compacted), or never created
  }
  try {
    const size = fstatSync(fd).size;
    let end = size;
    while (end > 0) {
      const n = Math.min(ZERO_RUN, end);
      const block = readExact(fd, end - n, n);
      let i = n;
      while (i > 0 && block[i - 1] === 0) i--;
      if (i > 0) {
        end = end - n + i;
        break;
      }
      end -= n;
    }
    const keep = Math.min(size, Math.ceil((end + keepZeros) / ALIGN) * ALIGN);
    if (keep < size) ftruncateSync(fd, keep);
  } finally {
    closeSync(fd);
  }
}

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
 * completed or prepared ahead of the appends, a torn header), it moves on 8 bytes at a time to
 * the next intact header, over runs of zeros a block at a time (a header never starts with one).
 * With `verify`, live records whose bytes fail their CRC are skipped too.
 */
export function* scan(
  fd: number,
  size: number,
  from: number,
  verify: boolean,
  notes: NoteCodec,
): Generator<ScannedRecord> {
  const reader = blockReader(fd, size);
  for (let at = from; at + HEADER_BYTES <= size; ) {
    const r = readRecord(reader, at, size, verify, notes);
    if (r) {
      yield r;
      at = r.end;
    } else at = pastZeros(reader, at + ALIGN, size);
  }
}

const ZERO_RUN = 64 * 1024;
/** Zeros a sealed record may end with that a restart keeps (trimZeroTail): a GCM tag's length. */
const SEALED_TAIL_ZEROS = 16;

/** The first 8-byte boundary from `at` (one) on whose 8 bytes are not all zeros, or `size`. */
function pastZeros(read: (offset: number, length: number) => Buffer, at: number, size: number): number {
  for (let next = at; next < size; ) {
    const n = Math.min(ZERO_RUN, size - next);
    const bytes = read(next, n);
    if (bytes.equals(ZEROS.subarray(0, n))) {
      next += n;
      continue;
    }
    let i = 0;
    while (bytes[i] === 0) i++;
    return next + i - (i % ALIGN);
  }
  return size;
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
