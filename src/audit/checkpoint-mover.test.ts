import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, withCheckpointLock } from './checkpoint.js';
import { CheckpointMover } from './checkpoint-mover.js';
import { checkpointFiles } from './test-support.js';

const CHILD = fileURLToPath(new URL('../../test/support/checkpoint-mover-child.ts', import.meta.url));
const key = Buffer.alloc(32, 7);

/** Runs the child to completion; rejects with its output when it fails or alarms. */
function mover(file: string, upto: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, key.toString('hex'), String(upto)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 && out.trim() === 'done' ? resolve() : reject(new Error(out)))),
  );
}

describe('the audit checkpoint shared by several processes', () => {
  const fileIn = checkpointFiles();

  it('is never moved back when two processes move it at once, one of them behind the other', async () => {
    const file = fileIn();
    const seen: number[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const state = readCheckpoint(file, key);
        if (state.status === 'valid') seen.push(state.checkpoint.seq);
        else expect(state.status).toBe('absent'); // never half-written
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await Promise.all([mover(file, 300), mover(file, 200)]);
    watching = false;
    await watch;
    const final = readCheckpoint(file, key);
    expect(final).toEqual({
      status: 'valid',
      checkpoint: { seq: 300, hash: createHash('sha256').update('300').digest('hex') },
    });
    expect(seen.length).toBeGreaterThan(10);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
  }, 60_000);

  it('lets one writer at a time hold the lock, and breaks a lock its dead holder left', async () => {
    const file = fileIn();
    const order: string[] = [];
    const slow = (name: string) => async () => {
      order.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 30));
      order.push(`${name} out`);
    };
    await Promise.all([withCheckpointLock(file, slow('a')), withCheckpointLock(file, slow('b'))]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    // A holder that died 11 s ago (the lock file's time set back): the next writer goes ahead.
    const { utimesSync, writeFileSync } = await import('node:fs');
    writeFileSync(`${file}.lock`, '1:0\n');
    const past = new Date(Date.now() - 11_000);
    utimesSync(`${file}.lock`, past, past);
    expect(await withCheckpointLock(file, async () => 'went ahead')).toBe('went ahead');
  });
});

describe('the audit checkpoint under a steady stream of commits', () => {
  const fileIn = checkpointFiles();
  const hashOf = (seq: number) => createHash('sha256').update(String(seq)).digest('hex');

  it('is written at most once per interval, ends at the head, and close() does not wait for the interval', async () => {
    const file = fileIn();
    let lookups = 0;
    const mover = new CheckpointMover(
      file,
      key,
      async (seq) => {
        lookups++; // one per write after the first (the first finds no checkpoint to check)
        return hashOf(seq);
      },
      (message) => expect.fail(message),
      60_000,
    );
    for (let seq = 1; seq <= 40; seq++) {
      mover.move({ seq, hash: hashOf(seq) });
      await new Promise((r) => setTimeout(r, 2));
    }
    const first = readCheckpoint(file, key);
    expect(first.status).toBe('valid');
    expect(first.status === 'valid' && first.checkpoint.seq).toBeLessThan(40); // the rest waits for the interval
    await mover.close(); // within the test's 5 s, not the 60 s interval
    expect(readCheckpoint(file, key)).toEqual({ status: 'valid', checkpoint: { seq: 40, hash: hashOf(40) } });
    expect(lookups).toBe(1);
  });
});
