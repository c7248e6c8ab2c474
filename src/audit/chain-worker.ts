/**
 * The audit writer thread: the only code that appends to the chain. It also builds the records:
 * the main thread posts a compact description of each access (audit-entry.ts), and the BALP
 * events, their ids and canonical JSON are made here, so none of it runs on the event loop; the
 * stored records (text, seq, hashes) go back for the listeners. better-sqlite3 is
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
import { CHECKPOINT_INTERVAL_MS, CheckpointMover } from './checkpoint-mover.js';
import { type AuditEntry, appendEntries, prepareEntries } from './audit-entry.js';
import type { ChainWorkerData, EntryResult, FromWorker, ToWorker } from './chain-protocol.js';
import { serializeError } from './chain-protocol.js';
import { ChainStore, worthRetryingAlone } from './chain-store.js';
import type { ChainRecord } from './types.js';

const port = parentPort!;
const data = workerData as ChainWorkerData;
const key = Buffer.from(data.key);
const store = new ChainStore(data.file, {
  keys: data.sqliteKeys,
  ...(data.busyTimeoutMs !== undefined ? { busyTimeoutMs: data.busyTimeoutMs } : {}),
});

const post = (m: FromWorker) => port.postMessage(m);
const alarm = (message: string, e?: unknown) =>
  post({ type: 'alarm', message, ...(e === undefined ? {} : { detail: serializeError(e) }) });

let queue: { batch: number; entries: AuditEntry[] }[] = [];
/** The commits, one after the other (a commit's promise settles within the turn: the store is synchronous). */
let committing: Promise<void> = Promise.resolve();
const projected = new Map<string, number>();
let closing = false;
let scheduled = false;

/** The signed checkpoint, moved to the head after each commit (coalesced, off this thread's path). */
const checkpoint = new CheckpointMover(
  data.checkpointFile,
  key,
  async (seq) => store.hashAt(seq),
  alarm,
  CHECKPOINT_INTERVAL_MS,
);

/** Builds and canonicalises the entries' records here, off the event loop, then appends them in one transaction. */
async function commit(batches: { batch: number; entries: AuditEntry[] }[]): Promise<void> {
  const entries = batches.flatMap((b) => b.entries);
  let results: EntryResult[];
  try {
    results = await appendEntries(prepareEntries(entries), (records) => store.append(records, key), worthRetryingAlone);
  } catch (e) {
    // Not expected (appendEntries answers every entry), but a batch must never stay unanswered.
    results = entries.map(() => ({ error: serializeError(e) }));
  }
  let i = 0;
  for (const b of batches) {
    post({ type: 'appended', batch: b.batch, results: results.slice(i, i + b.entries.length) });
    i += b.entries.length;
  }
  const last = results.findLast((r): r is { records: ChainRecord[] } => 'records' in r && r.records.length > 0);
  if (last) checkpoint.move(last.records[last.records.length - 1]!);
}

function drain(): void {
  scheduled = false;
  const batches = queue;
  queue = [];
  if (batches.length) committing = committing.then(() => commit(batches));
  if (projected.size) storeWatermarks(false);
  if (closing && !queue.length) void committing.then(finish);
}

/**
 * The projection's watermarks. While another process holds audit.sqlite's lock, a marker is kept
 * for the next drain instead of waiting (appends queued behind it would stall a whole busy timeout);
 * at close it waits. A marker never stored only costs a longer catch-up at the next start (copies
 * are idempotent).
 */
function storeWatermarks(wait: boolean): void {
  for (const [target, upto] of projected) {
    try {
      if (wait) store.setProjectedUpTo(target, upto);
      else if (!store.trySetProjectedUpTo(target, upto)) continue;
    } catch (e) {
      alarm('audit projection watermark not stored', e);
    }
    projected.delete(target);
  }
}

let finishing = false;
async function finish(): Promise<void> {
  if (finishing) return;
  finishing = true;
  await checkpoint.close(); // the last checkpoint goes to disk before the thread ends
  if (projected.size) storeWatermarks(true);
  store.close();
  post({ type: 'closed' });
  port.close();
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'append') queue.push({ batch: m.batch, entries: m.entries });
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
