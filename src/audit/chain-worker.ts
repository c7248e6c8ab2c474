/**
 * The audit writer thread: the only code that appends to the chain. better-sqlite3 is
 * synchronous, so a commit with synchronous=FULL (hash, insert, fsync) would block the server's
 * event loop for milliseconds; here it blocks only this thread. Started by `chain-writer.ts`
 * with its own connection.
 *
 * Group commit: every batch that arrives while a commit runs waits in the port and goes into the
 * next transaction, so the fsync count follows the disk, not the request rate. After each
 * commit the batches are answered, then the signed checkpoint (`checkpoint.ts`) is moved to the
 * new head (asynchronously, see checkpoint-mover.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CheckpointMover } from './checkpoint-mover.js';
import type { AppendResult, ChainWorkerData, FromWorker, ToWorker } from './chain-protocol.js';
import { serializeError } from './chain-protocol.js';
import { ChainStore, type NewRecord } from './chain-store.js';
import type { ChainRecord } from './types.js';

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

/** The signed checkpoint, moved to the head after each commit (coalesced, off this thread's path). */
const checkpoint = new CheckpointMover(data.checkpointFile, key, async (seq) => store.hashAt(seq), alarm);

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
  if (last) checkpoint.move(last);
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
  await checkpoint.close(); // the last checkpoint goes to disk before the thread ends
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
void checkpoint.start(
  () => store.head(),
  (head) =>
    alarm(
      `audit checkpoint ${data.checkpointFile} is MISSING while the chain holds ${head.seq} records: a new one is written at the head; whether records were removed before now cannot be told from this host (run "imaging-bridge audit verify --anchor" with an external anchor)`,
    ),
);
