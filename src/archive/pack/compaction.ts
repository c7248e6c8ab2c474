import { closeSync, fdatasyncSync, fstatSync, openSync, writeSync } from 'node:fs';
import { readExactSync } from '../read-exact.js';
import { HEADER_BYTES, STATE_OFFSET, type ScannedRecord } from './record-format.js';
import type { KeyMove } from '../archive-upkeep.js';
import { type PackKeyIndex, packReferences } from './pack-references.js';
import { type PackStore, packKey, parseKey } from './pack-store.js';
import { claimNewSegment, claimedByOthers, releaseClaim } from './segment-claims.js';

export interface CompactionOptions {
  /** Compact a segment when at least this share of its bytes can be reclaimed (0 to 1). */
  minReclaimRatio: number;
  /** Copy at most this many bytes per second (0: no limit), so that ingest keeps the disk. */
  maxBytesPerSecond: number;
  /** How long a compacted segment stays after the index stopped naming it, for reads that began before. */
  graceMs: number;
  /** Largest output segment. */
  segmentBytes: number;
}

/** How long after the grace old keys still lead to the copies in this process (PackStore.forward). */
const FORWARD_MS = 15 * 60_000;

export const DEFAULT_COMPACTION: CompactionOptions = {
  minReclaimRatio: 0.2,
  maxBytesPerSecond: 0,
  graceMs: 30_000,
  segmentBytes: 1 << 30,
};

export type CompactionPhase = 'scanning' | 'copying' | 'switching' | 'grace' | 'removing' | 'done';

export interface CompactionProgress {
  phase: CompactionPhase;
  segmentsExamined: number;
  /** Segments removed: compacted, or holding nothing the index names. */
  segmentsRemoved: number;
  /** Segments written with the records that were kept. */
  segmentsWritten: number;
  /** Segments left alone: a record the index names is not intact there (reported, never dropped). */
  segmentsUnreadable: number[];
  recordsMoved: number;
  bytesCopied: number;
  /** Bytes of pack files before and after (after: once done). */
  bytesBefore: number;
  bytesAfter: number;
}

interface Candidate {
  id: number;
  size: number;
  /** Records the index names, with the rows that name them. */
  keep: { record: ScannedRecord; key: string; sops: Set<string> }[];
  keptBytes: number;
}

/**
 * Online compaction of the packs (docs/storage.md). Deleted, refused and replaced-then-dropped
 * objects leave zeroed records, and crashed writers torn tails; this copies the records the index
 * still names, byte for byte (header, sealed payload, note: keys change, bytes do not), into a
 * fresh segment, makes that durable, points the index at the copies in one synced transaction,
 * and removes the old segments after a grace period. Every step leaves each key the index names
 * pointing at an intact record, so a kill at any point loses nothing: an output segment not yet
 * switched to is named by nothing and goes at the next run, as does an old segment switched away
 * from but not yet removed.
 *
 * Only sealed segments are touched: not one a running process appends to (segment-claims.ts),
 * nor one of ours whose objects may not all be indexed yet (below the journal's low water).
 * Runs in the server's process, so its readers are told when a segment goes.
 */
export async function compactPacks(
  packs: PackStore,
  index: PackKeyIndex,
  opts: CompactionOptions,
  progress: CompactionProgress = newProgress(),
  signal?: AbortSignal,
): Promise<CompactionProgress> {
  progress.phase = 'scanning';
  // What the writer appended so far becomes compactable once settled: it moves to a fresh segment.
  if (packs.currentBytes > 0) packs.startNewSegment();
  const candidates = await findCandidates(packs, index, opts, progress);
  const empty = candidates.filter((c) => c.keep.length === 0);
  const toCopy = candidates.filter((c) => c.keep.length > 0);
  const retired = empty.map((c) => c.id);
  const limiter = rateLimiter(opts.maxBytesPerSecond, signal);
  while (toCopy.length > 0) {
    // Whole segments per output, up to segmentBytes (a segment larger than that gets one of its own).
    const batch = [toCopy.shift()!];
    let bytes = batch[0]!.keptBytes;
    while (toCopy.length > 0 && bytes + toCopy[0]!.keptBytes <= opts.segmentBytes) {
      bytes += toCopy[0]!.keptBytes;
      batch.push(toCopy.shift()!);
    }
    await copyBatch(packs, index, batch, progress, limiter, signal, opts.graceMs);
    retired.push(...batch.map((c) => c.id));
  }
  if (retired.length > 0) {
    progress.phase = 'grace';
    await sleep(opts.graceMs, signal);
    signal?.throwIfAborted();
    progress.phase = 'removing';
    for (const id of retired) {
      packs.removeSegment(id);
      progress.segmentsRemoved++;
    }
  }
  progress.bytesAfter = totalBytes(packs);
  progress.phase = 'done';
  return progress;
}

export function newProgress(): CompactionProgress {
  return {
    phase: 'scanning',
    segmentsExamined: 0,
    segmentsRemoved: 0,
    segmentsWritten: 0,
    segmentsUnreadable: [],
    recordsMoved: 0,
    bytesCopied: 0,
    bytesBefore: 0,
    bytesAfter: 0,
  };
}

async function findCandidates(
  packs: PackStore,
  index: PackKeyIndex,
  opts: CompactionOptions,
  progress: CompactionProgress,
): Promise<Candidate[]> {
  // The packs' state is read before the index: every record of a segment that is settled now has
  // its index row committed before the read below, whatever the writer appends while it runs.
  const busy = claimedByOthers(packs.folder);
  const low = packs.lowWater().segment;
  const own = new Set(packs.ownSealedSegments());
  const current = packs.currentSegment;
  const ids = packs.segmentIds();
  // The highest segment stays: ids are never handed out twice (a key names one object, ever).
  const highest = ids.at(-1);
  const refs = await packReferences(index);
  const out: Candidate[] = [];
  for (const id of ids) {
    const size = fileSize(packs.pathOf(id));
    progress.bytesBefore += size;
    if (busy.has(id) || id === current || id === highest || (own.has(id) && id >= low)) continue;
    progress.segmentsExamined++;
    const named = refs.get(id) ?? new Map<string, Set<string>>();
    const byData = new Map(packs.recordsOf(id).map((r) => [r.dataOffset, r]));
    const keep: Candidate['keep'] = [];
    let keptBytes = 0;
    let intact = true;
    for (const [key, sops] of named) {
      const k = parseKey(key);
      const record = byData.get(k.offset);
      if (!record?.live || record.size !== k.size) {
        intact = false;
        break;
      }
      keep.push({ record, key, sops });
      keptBytes += record.end - record.start;
    }
    if (!intact) {
      progress.segmentsUnreadable.push(id);
      continue;
    }
    if (keep.length > 0 && size - keptBytes < opts.minReclaimRatio * size) continue;
    keep.sort((a, b) => a.record.start - b.record.start);
    out.push({ id, size, keep, keptBytes });
  }
  return out;
}

async function copyBatch(
  packs: PackStore,
  index: PackKeyIndex,
  batch: Candidate[],
  progress: CompactionProgress,
  limiter: (bytes: number) => Promise<void>,
  signal: AbortSignal | undefined,
  graceMs: number,
): Promise<void> {
  progress.phase = 'copying';
  const dir = packs.folder;
  const outId = claimNewSegment(dir, 'compaction', (n) => packs.pathOf(n));
  const out = openSync(packs.pathOf(outId), 'r+');
  try {
    const moves: (KeyMove & { at: number })[] = [];
    let at = 0;
    for (const c of batch) {
      const fd = openSync(packs.pathOf(c.id), 'r');
      try {
        for (const { record, key, sops } of c.keep) {
          const bytes = readExactSync(fd, record.start, record.end - record.start);
          writeAll(out, bytes, at);
          moves.push({ from: key, to: packKey(outId, at + HEADER_BYTES, record.size), sops, at });
          at += bytes.length;
          progress.bytesCopied += bytes.length;
          await limiter(bytes.length);
          signal?.throwIfAborted();
        }
      } finally {
        closeSync(fd);
      }
    }
    fdatasyncSync(out);
    progress.phase = 'switching';
    const orphaned = await index.repointBlobKeys(moves);
    // Deleted while we copied: the copy must not outlive the original (which delete zeroed).
    for (const m of orphaned) eraseAt(out, (m as (typeof moves)[number]).at, parseKey(m.to).size);
    if (orphaned.length > 0) fdatasyncSync(out);
    packs.forward(
      moves.filter((m) => !orphaned.includes(m)),
      graceMs + FORWARD_MS,
    );
    progress.recordsMoved += moves.length - orphaned.length;
    progress.segmentsWritten++;
  } finally {
    closeSync(out);
    releaseClaim(dir, outId);
  }
  // Our journal's mark can only pass the new segment once we append above it.
  if ((packs.currentSegment ?? Number.POSITIVE_INFINITY) < outId) packs.startNewSegment();
}

function eraseAt(fd: number, recordStart: number, size: number): void {
  writeAll(fd, Buffer.alloc(1), recordStart + STATE_OFFSET);
  writeAll(fd, Buffer.alloc(size), recordStart + HEADER_BYTES);
}

function writeAll(fd: number, bytes: Buffer, position: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Paces the copy, and in any case lets the event loop serve requests after every MB copied. */
function rateLimiter(bytesPerSecond: number, signal?: AbortSignal): (bytes: number) => Promise<void> {
  const started = Date.now();
  let total = 0;
  let sinceYield = 0;
  return async (bytes) => {
    total += bytes;
    sinceYield += bytes;
    const due = bytesPerSecond > 0 ? started + (total / bytesPerSecond) * 1000 : 0;
    if (due > Date.now()) await sleep(due - Date.now(), signal);
    else if (sinceYield >= 1 << 20) await new Promise<void>((resolve) => setImmediate(resolve));
    else return;
    sinceYield = 0;
  };
}

function totalBytes(packs: PackStore): number {
  return packs.segmentIds().reduce((n, id) => n + fileSize(packs.pathOf(id)), 0);
}

function fileSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
