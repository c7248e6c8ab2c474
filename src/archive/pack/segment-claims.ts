import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Who appends to a segment: the server (journaled), an import beside it, or a compaction writing its output. */
export type ClaimRole = 'server' | 'import' | 'compaction';

export interface SegmentClaim {
  pid: number;
  role: ClaimRole;
}

const claimFile = (dir: string, id: number) => join(dir, `${String(id).padStart(8, '0')}.writer`);

/**
 * Several processes may append to the packs of one data folder (the server, an import beside it,
 * a compaction), each to segments of its own. A segment is claimed by creating
 * `NNNNNNNN.writer` (with O_EXCL, holding the claimer's pid) BEFORE its `.pack` file: a `.pack`
 * without a live claim is sealed (nobody appends to it any more) and may be compacted; a claim
 * whose process is gone (a crash) counts as released. Returns the new segment's id.
 */
export function claimNewSegment(dir: string, role: ClaimRole, segmentFile: (id: number) => string): number {
  for (;;) {
    const id = highestId(dir) + 1;
    let fd: number;
    try {
      fd = openSync(claimFile(dir, id), 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // another process took it first
      throw e;
    }
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, role } satisfies SegmentClaim));
    } finally {
      closeSync(fd);
    }
    closeSync(openSync(segmentFile(id), 'wx', 0o600));
    syncDir(dir);
    return id;
  }
}

export function releaseClaim(dir: string, id: number): void {
  rmSync(claimFile(dir, id), { force: true });
}

/** Claims held by processes still running (this one included), by segment id. Stale ones are removed. */
export function liveClaims(dir: string): Map<number, SegmentClaim> {
  const live = new Map<number, SegmentClaim>();
  for (const name of readdirSync(dir)) {
    const id = /^(\d{8})\.writer$/.exec(name)?.[1];
    if (id === undefined) continue;
    const claim = readClaim(join(dir, name));
    // An unreadable claim is one being written this instant: count it as live.
    if (!claim) live.set(Number(id), { pid: 0, role: 'server' });
    else if (isAlive(claim.pid)) live.set(Number(id), claim);
    else rmSync(join(dir, name), { force: true });
  }
  return live;
}

/** Segments whose claim is still there but whose process is gone: a writer that crashed (or was killed). */
export function staleClaims(dir: string): number[] {
  const ids: number[] = [];
  for (const name of readdirSync(dir)) {
    const id = /^(\d{8})\.writer$/.exec(name)?.[1];
    if (id === undefined) continue;
    const claim = readClaim(join(dir, name));
    if (claim && !isAlive(claim.pid)) ids.push(Number(id));
  }
  return ids;
}

/** Segments claimed by running processes other than this one. */
export function claimedByOthers(dir: string): Set<number> {
  const ids = new Set<number>();
  for (const [id, c] of liveClaims(dir)) if (c.pid !== process.pid) ids.add(id);
  return ids;
}

function readClaim(path: string): SegmentClaim | undefined {
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Partial<SegmentClaim>;
    return Number.isInteger(c.pid) && typeof c.role === 'string' ? (c as SegmentClaim) : undefined;
  } catch {
    return undefined;
  }
}

function highestId(dir: string): number {
  let high = 0;
  for (const name of readdirSync(dir)) {
    const id = /^(\d{8})\.(?:pack|writer)$/.exec(name)?.[1];
    if (id !== undefined) high = Math.max(high, Number(id));
  }
  return high;
}

export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
