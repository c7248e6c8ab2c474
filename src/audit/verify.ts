import { GENESIS_HASH, chainHash } from './chain-hash.js';
import type { ChainStore } from './chain-store.js';
import { readCheckpoint } from './checkpoint.js';
import type { VerifyResult } from './types.js';

/**
 * Walks the chain from the first record: sequence numbers without gaps, each prev_hash equal
 * to the previous hash, each hash equal to HMAC(key, prev_hash || json), and the json's id
 * equal to the row's. The first violation is reported with its seq.
 *
 * Then the signed checkpoint (`checkpointFile`, see checkpoint.ts), against truncation: the
 * chain must reach the checkpoint's seq and hold the checkpoint's hash there. A missing
 * checkpoint with records in the chain is a warning (the log may predate checkpoints, or the
 * file was lost), not a failure. The checkpoint is read before the chain: a writer commits
 * before it moves the checkpoint, so a chain read afterwards reaches at least that far.
 */
export function verifyChain(store: ChainStore, key: Buffer, checkpointFile?: string): VerifyResult {
  const checkpoint = checkpointFile === undefined ? undefined : readCheckpoint(checkpointFile, key);
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const checkpointSeq = checkpoint?.status === 'valid' ? checkpoint.checkpoint.seq : 0;
  let hashAtCheckpoint: string | undefined;
  for (const r of store.iterate()) {
    const broken = (reason: string): VerifyResult => ({ ok: false, records: checked, brokenSeq: r.seq, reason });
    if (r.seq !== expectedSeq) return { ok: false, records: checked, brokenSeq: expectedSeq, reason: `record ${expectedSeq} is missing (next is ${r.seq}): records were deleted` };
    if (r.prevHash !== prevHash) return broken('prev_hash does not match the previous record: a record before it was removed or replaced');
    if (chainHash(key, r.prevHash, r.json) !== r.hash) return broken('hash does not match the record with this key: the record was edited (or the key is not the one it was written with)');
    let id: unknown;
    try {
      id = (JSON.parse(r.json) as { id?: unknown }).id;
    } catch {
      return broken('json does not parse');
    }
    if (id !== r.id) return broken(`id column "${r.id}" differs from the event's id`);
    if (r.seq === checkpointSeq) hashAtCheckpoint = r.hash;
    prevHash = r.hash;
    expectedSeq += 1;
    checked += 1;
  }
  const head = checked ? { head: { seq: checked, hash: prevHash } } : {};
  if (!checkpoint || !checkpointFile) return { ok: true, records: checked, ...head };
  switch (checkpoint.status) {
    case 'absent':
      return checked
        ? { ok: true, records: checked, ...head, warnings: [`no checkpoint file ${checkpointFile}: removal of the last records (truncation) cannot be detected`] }
        : { ok: true, records: 0 };
    case 'invalid':
      return { ok: false, records: checked, brokenSeq: checked + 1, reason: `the checkpoint file ${checkpointFile} ${checkpoint.reason}: whether the last records were removed cannot be told` };
    case 'valid': {
      const { seq, hash } = checkpoint.checkpoint;
      if (checked < seq)
        return {
          ok: false,
          records: checked,
          brokenSeq: checked + 1,
          reason: `the chain ends at seq ${checked} but the checkpoint ${checkpointFile} records seq ${seq}: the last ${seq - checked} record${seq - checked === 1 ? ' was' : 's were'} removed (truncation)`,
        };
      if (hashAtCheckpoint !== hash)
        return { ok: false, records: seq - 1, brokenSeq: seq, reason: `record ${seq} differs from the checkpoint ${checkpointFile}: records up to it were removed and replaced` };
      return { ok: true, records: checked, ...head, checkpoint: { seq } };
    }
  }
}
