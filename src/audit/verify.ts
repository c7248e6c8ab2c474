import { GENESIS_HASH, chainHash } from './chain-hash.js';
import type { AuditChainStore } from './chain-store-contract.js';
import { readCheckpoint, type Checkpoint, type CheckpointState } from './checkpoint.js';
import type { VerifyResult } from './types.js';

export interface VerifyOptions {
  /**
   * Checkpoints kept outside the host (`anchor.ts`: an external file, a syslog collector, a URL):
   * the chain must reach each one's seq and hold its hash there. They catch what the local
   * checkpoint cannot: a chain rewritten and re-signed by someone who has the key.
   */
  anchors?: { source: string; checkpoints: Checkpoint[] };
  /**
   * How long to wait for a running writer to move the checkpoint up to the chain's head (it
   * does so right after each commit) before calling it stale. Default 2 s.
   */
  staleWaitMs?: number;
  /**
   * Records after the checkpoint are not a failure: the PostgreSQL chain is appended to by
   * several instances, and this host's checkpoint covers only the head its own writer last saw
   * (the others' records are covered by their checkpoints and by the shared anchors). The chain
   * must still hold the checkpoint's hash at its seq (truncation and replacement are caught).
   */
  checkpointMayTrail?: boolean;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Walks the chain from the first record: sequence numbers without gaps, each prev_hash equal
 * to the previous hash, each hash equal to HMAC(key, prev_hash || json), and the json's id
 * equal to the row's. The first violation is reported with its seq.
 *
 * Then the signed checkpoint (`checkpointFile`, see checkpoint.ts), against truncation: the
 * chain must reach the checkpoint's seq and hold the checkpoint's hash there, and the
 * checkpoint must reach the chain's head (a running writer moves it within milliseconds of a
 * commit; records beyond it are covered by nothing). A missing checkpoint with records in the
 * chain fails too: then nothing shows that the last records were not removed. The checkpoint is
 * read before the chain: a writer commits before it moves the checkpoint, so a chain read
 * afterwards reaches at least that far. Then the external anchors, if given.
 */
export async function verifyChain(
  store: AuditChainStore,
  key: Buffer,
  checkpointFile?: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  let checkpoint: CheckpointState | undefined =
    checkpointFile === undefined ? undefined : readCheckpoint(checkpointFile, key);
  const anchored = new Map((options.anchors?.checkpoints ?? []).map((c) => [c.seq, c.hash]));
  let checked = 0;
  let prevHash = GENESIS_HASH;

  /** Verifies the records after `checked`; a failure, or undefined when they hold. */
  const walk = async (): Promise<VerifyResult | undefined> => {
    for await (const r of store.iterate(checked)) {
      const broken = (reason: string): VerifyResult => ({ ok: false, records: checked, brokenSeq: r.seq, reason });
      const expectedSeq = checked + 1;
      if (r.seq !== expectedSeq)
        return {
          ok: false,
          records: checked,
          brokenSeq: expectedSeq,
          reason: `record ${expectedSeq} is missing (next is ${r.seq}): records were deleted`,
        };
      if (r.prevHash !== prevHash)
        return broken('prev_hash does not match the previous record: a record before it was removed or replaced');
      if (chainHash(key, r.prevHash, r.json) !== r.hash)
        return broken(
          'hash does not match the record with this key: the record was edited (or the key is not the one it was written with)',
        );
      let id: unknown;
      try {
        id = (JSON.parse(r.json) as { id?: unknown }).id;
      } catch {
        return broken('json does not parse');
      }
      if (id !== r.id) return broken(`id column "${r.id}" differs from the event's id`);
      const anchor = anchored.get(r.seq);
      if (anchor !== undefined && anchor !== r.hash)
        return broken(
          `record ${r.seq} differs from the external anchor ${options.anchors!.source}: the chain was rewritten up to here (by someone who had the key) or the anchor belongs to another log`,
        );
      prevHash = r.hash;
      checked += 1;
    }
    return undefined;
  };

  const failed = await walk();
  if (failed) return failed;
  const head = () => (checked ? { head: { seq: checked, hash: prevHash } } : {});
  const anchorFailure = checkAnchors();
  if (anchorFailure) return anchorFailure;
  if (!checkpoint || !checkpointFile) return { ok: true, records: checked, ...head(), ...anchorsReached() };

  const deadline = Date.now() + (options.staleWaitMs ?? 2000);
  for (;;) {
    switch (checkpoint.status) {
      case 'absent':
        if (!checked) return { ok: true, records: 0 };
        if (Date.now() < deadline) break; // a running writer may be writing its first one
        return {
          ok: false,
          records: checked,
          brokenSeq: checked,
          reason: `there is no checkpoint file ${checkpointFile}, yet the chain holds ${plural(checked, 'record', 'records')}: nothing shows that its last records were not removed (restore the checkpoint from a backup, or check against an external anchor with --anchor)`,
        };
      case 'invalid':
        return {
          ok: false,
          records: checked,
          brokenSeq: checked + 1,
          reason: `the checkpoint file ${checkpointFile} ${checkpoint.reason}: whether the last records were removed cannot be told`,
        };
      case 'valid': {
        const { seq, hash } = checkpoint.checkpoint;
        if (checked < seq)
          return {
            ok: false,
            records: checked,
            brokenSeq: checked + 1,
            reason: `the chain ends at seq ${checked} but the checkpoint ${checkpointFile} records seq ${seq}: the last ${plural(seq - checked, 'record was', 'records were')} removed (truncation)`,
          };
        if ((await store.hashAt(seq)) !== hash)
          return {
            ok: false,
            records: seq - 1,
            brokenSeq: seq,
            reason: `record ${seq} differs from the checkpoint ${checkpointFile}: records up to it were removed and replaced`,
          };
        if (seq === checked || options.checkpointMayTrail)
          return { ok: true, records: checked, ...head(), checkpoint: { seq }, ...anchorsReached() };
        if (Date.now() >= deadline)
          return {
            ok: false,
            records: checked,
            brokenSeq: seq + 1,
            reason: `the checkpoint ${checkpointFile} is older than the chain: it records seq ${seq} but the chain holds ${checked}, so ${plural(checked - seq, 'record is', 'records are')} covered by no checkpoint (appended by something other than the server's writer — e.g. someone with the key — or the server stopped before it moved the checkpoint: starting it again moves it)`,
          };
      }
    }
    await sleep(50);
    checkpoint = readCheckpoint(checkpointFile, key);
    const more = await walk(); // a running server may have committed more meanwhile
    if (more) return more;
  }

  function checkAnchors(): VerifyResult | undefined {
    const last = Math.max(0, ...anchored.keys());
    if (last <= checked) return undefined;
    return {
      ok: false,
      records: checked,
      brokenSeq: checked + 1,
      reason: `the chain ends at seq ${checked} but the external anchor ${options.anchors!.source} records seq ${last}: the last ${plural(last - checked, 'record was', 'records were')} removed (truncation)`,
    };
  }

  function anchorsReached(): { anchor?: { seq: number; source: string } } {
    const last = Math.max(0, ...anchored.keys());
    return options.anchors && last ? { anchor: { seq: last, source: options.anchors.source } } : {};
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
