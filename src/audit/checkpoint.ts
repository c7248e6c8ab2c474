import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * The signed checkpoint: the head of the chain (seq and hash) after the last group commit,
 * HMAC'd with the chain key, in `<keyFile>.checkpoint` beside the key (outside the data
 * directory). The chain alone cannot show that its last records were removed; the checkpoint
 * can: `verify` fails when the chain ends before the checkpoint's seq or holds another record
 * there.
 */
export interface Checkpoint {
  seq: number;
  hash: string;
}

export type CheckpointState =
  | { status: 'absent' }
  | { status: 'valid'; checkpoint: Checkpoint }
  | { status: 'invalid'; reason: string };

const VERSION = 1;

/** `<keyFile>.checkpoint`. */
export function checkpointFileOf(keyFile: string): string {
  return `${keyFile}.checkpoint`;
}

/** Domain-separated from the chain hashes (which cover prev_hash || json). */
export function checkpointSignature(key: Buffer, c: Checkpoint): string {
  return createHmac('sha256', key)
    .update(`imaging-bridge audit checkpoint v${VERSION}\n${c.seq}\n${c.hash}`)
    .digest('hex');
}

/** Reads and checks the signature; a missing file is `absent`, anything unusable `invalid`. */
export function readCheckpoint(file: string, key: Buffer): CheckpointState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'absent' };
    return { status: 'invalid', reason: `cannot be read: ${(e as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: 'invalid', reason: 'is not JSON' };
  }
  return checkSignedCheckpoint(parsed, key);
}

/** `{ v, seq, hash, hmac }` (strings for numbers accepted, as in syslog structured data) signed with `key`. */
export function checkSignedCheckpoint(parsed: unknown, key: Buffer): CheckpointState {
  const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    v?: unknown;
    seq?: unknown;
    hash?: unknown;
    hmac?: unknown;
  };
  const v = whole(o.v);
  const seq = whole(o.seq);
  const { hash, hmac } = o;
  if (
    v !== VERSION ||
    !Number.isSafeInteger(seq) ||
    seq < 1 ||
    typeof hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(hash) ||
    typeof hmac !== 'string' ||
    !/^[0-9a-f]{64}$/.test(hmac)
  )
    return { status: 'invalid', reason: 'does not hold { v, seq, hash, hmac }' };
  const checkpoint = { seq, hash };
  if (!timingSafeEqual(Buffer.from(checkpointSignature(key, checkpoint), 'hex'), Buffer.from(hmac, 'hex')))
    return { status: 'invalid', reason: 'is not signed with this key' };
  return { status: 'valid', checkpoint };
}

const whole = (x: unknown): number =>
  typeof x === 'number' ? x : typeof x === 'string' && /^[0-9]{1,15}$/.test(x) ? Number(x) : NaN;

/** The signed form written to the checkpoint file and sent to the anchors. */
export function signedCheckpoint(key: Buffer, c: Checkpoint): { v: number; seq: number; hash: string; hmac: string } {
  return { v: VERSION, seq: c.seq, hash: c.hash, hmac: checkpointSignature(key, c) };
}

/**
 * Replaces the checkpoint atomically: a temporary file (unique per write: several writers of one
 * process — PostgreSQL chains on the main thread — may share the file),
 * fsynced, renamed over the old one. The directory is fsynced only when `syncDir` (the first
 * write of a writer): a later rename lost in a power cut leaves an older checkpoint, which is
 * still true of the chain (it only grows), so nothing is falsely reported.
 */
export async function writeCheckpoint(file: string, key: Buffer, c: Checkpoint, syncDir: boolean): Promise<void> {
  const tmp = `${file}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(checkpointText(key, c));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  if (syncDir) {
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

const checkpointText = (key: Buffer, c: Checkpoint) => `${JSON.stringify(signedCheckpoint(key, c))}\n`;

/** A lock file this old belongs to a holder that died mid-move (a move takes milliseconds). */
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 30_000;

/**
 * Runs `work` holding `<file>.lock`, created exclusively (O_EXCL): writers of every process
 * sharing the checkpoint (instances given one key file) take turns, so a read-compare-write
 * inside `work` never lets a lower head overwrite a higher one. A lock left by a holder that
 * died is broken after 10 s; waiting longer than 30 s is an error (the move is retried with the next head).
 */
export async function withCheckpointLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(`${process.pid}:${threadId}\n`).finally(() => fh.close());
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0, // just released: try again
      );
      if (age > LOCK_STALE_MS) await unlink(lock).catch(() => undefined);
      else if (Date.now() > deadline) throw new Error(`${lock} is held by another writer for over ${LOCK_WAIT_MS} ms`);
      else await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
