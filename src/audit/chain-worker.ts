/**
 * The audit writer thread: the only code that appends to the chain. better-sqlite3 is
 * synchronous, so a commit with synchronous=FULL (hash, insert, fsync) would block the server's
 * event loop for milliseconds; here it blocks only this thread. Started by `chain-writer.ts`
 * with its own connection.
 *
 * Group commit: every batch that arrives while a commit runs waits in the port and goes into the
 * next transaction, so the fsync count follows the disk, not the request rate. After each
 * commit the batches are answered, then the signed checkpoint (`checkpoint.ts`) is moved to the
 * new head (asynchronously, see moveCheckpoint()).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { AppendResult, ChainWorkerData, FromWorker, ToWorker } from './chain-protocol.js';
import { serializeError } from './chain-protocol.js';
import { ChainStore, type NewRecord } from './chain-store.js';
import type { ChainRecord } from './types.js';

type Head = Pick<ChainRecord, 'seq' | 'hash'>;

const port = parentPort!;
const data = workerData as ChainWorkerData;
const key = Buffer.from(data.key);
const store = new ChainStore(data.file, { keys: data.sqliteKeys });

const post = (m: FromWorker) => port.postMessage(m);
const alarm = (message: string, e?: unknown) =>
  post({ type: 'alarm', message, ...(e === undefined ? {} : { detail: serializeError(e) }) });

let queue: { batch: number; records: NewRecord[] }[] = [];
const projected = new Map<string, number>();
let closing = false;
let scheduled = false;

/**
 * Set once the chain no longer contains what the checkpoint says (records were removed): the
 * checkpoint is then left as it is, as the evidence `verify` reports, until an operator moves it.
 */
let checkpointFrozen = false;
let checkpointWritten = false;

/** Whether the checkpoint on disk is still true of the chain; raises the alarm once when not. */
function checkpointHolds(): { holds: boolean; seq: number } {
  const state = readCheckpoint(data.checkpointFile, key);
  if (state.status === 'absent') return { holds: true, seq: 0 };
  if (state.status === 'invalid') {
    checkpointFrozen = true;
    alarm(`audit checkpoint ${data.checkpointFile} ${state.reason}: left as it is; run "imaging-bridge audit verify"`);
    return { holds: false, seq: 0 };
  }
  const { seq, hash } = state.checkpoint;
  const found = store.hashAt(seq);
  if (found === hash) return { holds: true, seq };
  checkpointFrozen = true;
  alarm(
    found === undefined
      ? `audit chain TRUNCATED: the checkpoint ${data.checkpointFile} records seq ${seq} but the chain holds no such record: the last records were removed. The checkpoint is kept as evidence; run "imaging-bridge audit verify"`
      : `audit chain TAMPERED: record ${seq} differs from the checkpoint ${data.checkpointFile}: records were removed and replaced. The checkpoint is kept as evidence; run "imaging-bridge audit verify"`,
  );
  return { holds: false, seq };
}

/** The newest head not yet in the checkpoint, and the write under way (at most one). */
let wanted: Head | undefined;
let writing: Promise<void> | undefined;

/**
 * Moves the checkpoint to `head`, off this thread's path: the write (temporary file, fsync,
 * rename) runs in libuv's pool while the next commit goes on, and heads that arrive meanwhile
 * are coalesced into the next write. So the checkpoint trails the acknowledged head by at most
 * one write (about a millisecond); a crash in that window leaves it a little behind, which is
 * still true of the chain.
 */
function moveCheckpoint(head: Head): void {
  if (checkpointFrozen) return;
  wanted = head;
  writing ??= writeCheckpoints().finally(() => {
    writing = undefined;
    if (wanted) moveCheckpoint(wanted);
  });
}

async function writeCheckpoints(): Promise<void> {
  while (wanted && !checkpointFrozen) {
    const head = wanted;
    wanted = undefined;
    try {
      const { holds, seq } = checkpointHolds();
      // Another process sharing the log may have moved it further already.
      if (!holds || seq >= head.seq) continue;
      await writeCheckpoint(data.checkpointFile, key, { seq: head.seq, hash: head.hash }, !checkpointWritten);
      checkpointWritten = true;
    } catch (e) {
      // The records are durable; only the truncation evidence lags. Said every time: it must be fixed.
      alarm(
        `audit checkpoint ${data.checkpointFile} cannot be written: truncation of the newest records would go unnoticed`,
        e,
      );
    }
  }
  if (checkpointFrozen) wanted = undefined;
}

function commit(batches: { batch: number; records: NewRecord[] }[]): void {
  const records = batches.flatMap((b) => b.records);
  const results: AppendResult[] = [];
  let last: ChainRecord | undefined;
  try {
    for (const r of store.append(records, key)) {
      results.push({ seq: r.seq, prevHash: r.prevHash, hash: r.hash });
      last = r;
    }
  } catch (e) {
    if (records.length === 1) results.push({ error: serializeError(e) });
    // One bad record (a duplicate id) must not fail the others: one by one, then.
    else
      for (const record of records) {
        try {
          const [r] = store.append([record], key);
          results.push({ seq: r!.seq, prevHash: r!.prevHash, hash: r!.hash });
          last = r;
        } catch (err) {
          results.push({ error: serializeError(err) });
        }
      }
  }
  let i = 0;
  for (const b of batches) {
    post({ type: 'appended', batch: b.batch, results: results.slice(i, i + b.records.length) });
    i += b.records.length;
  }
  if (last) moveCheckpoint(last);
}

function drain(): void {
  scheduled = false;
  const batches = queue;
  queue = [];
  if (batches.length) commit(batches);
  if (projected.size) {
    try {
      for (const [target, upto] of projected) store.setProjectedUpTo(target, upto);
    } catch (e) {
      // Only costs a longer catch-up at the next start (copies are idempotent).
      alarm('audit projection watermark not stored', e);
    }
    projected.clear();
  }
  if (closing && !queue.length) void finish();
}

let finishing = false;
async function finish(): Promise<void> {
  if (finishing) return;
  finishing = true;
  while (writing) await writing; // the last checkpoint goes to disk before the thread ends
  store.close();
  post({ type: 'closed' });
  port.close();
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'append') queue.push({ batch: m.batch, records: m.records });
  else if (m.type === 'projected') projected.set(m.target, Math.max(m.upto, projected.get(m.target) ?? 0));
  else closing = true;
  if (!scheduled) {
    scheduled = true;
    // After the port has delivered every message already waiting: they share one transaction.
    setImmediate(drain);
  }
});

// A truncation done while the server was stopped is reported at start, not at the first commit.
// A checkpoint left behind by a crash (between a commit and its move) is moved to the head now,
// so that `audit verify` of a running server does not find it stale. A missing one is written
// anew, loudly: whether records were removed before now only an external anchor can tell.
try {
  const { holds, seq } = checkpointHolds();
  const head = store.head();
  if (holds && head && head.seq > seq) {
    if (seq === 0)
      alarm(
        `audit checkpoint ${data.checkpointFile} is MISSING while the chain holds ${head.seq} records: a new one is written at the head; whether records were removed before now cannot be told from this host (run "imaging-bridge audit verify --anchor" with an external anchor)`,
      );
    moveCheckpoint(head);
  }
} catch (e) {
  alarm(`audit checkpoint ${data.checkpointFile} cannot be checked`, e);
}
