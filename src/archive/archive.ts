import { createReadStream } from 'node:fs';
import { StoreError } from '../core/errors.js';
import { DicomStatus } from '../core/dicom-status.js';
import { DicomParseError, bufferSource, parseInstance, type ParsedInstance } from '../dicom/index.js';
import { GroupCommitter, IndexSyncError, RequestCommitter, type Committer } from './group-committer.js';
import { receive } from './receive.js';
import { instancePlacement } from './blob-key.js';
import {
  RemoteFetchError,
  isRemoteKey,
  localBulkReferences,
  remoteKey,
  sourceOfRemoteKey,
  type RemoteFetcher,
} from './remote.js';
import { fileMetaNotes, warningOf, type Announcer } from './file-meta-check.js';
import { sameDataset } from './same-dataset.js';
import { rejectionNote } from './rejection-note.js';
import type { ArchiveIndex, IndexedResult, ScopeVersion, InstanceMetadata } from './archive-index.js';
import type { DicomJson } from '../dicom/types.js';
import type {
  BlobStore,
  BlobWriter,
  InstanceScope,
  JournalMark,
  PlacedBlob,
  SealedBlob,
  StoredInstance,
  StoreOutcome,
} from './types.js';

export interface ArchiveOptions {
  duplicatePolicy: 'reject' | 'keep-newest';
  bulkDataThreshold: number;
  /** Refuse new objects (0xA700) when the volume has less free space than this. */
  minFreeBytes: number;
}

export interface StoreContext {
  /** Where the object came from (AE title, "stow", "import"), kept with the instance. */
  source: string;
  /** STOW-RS to /studies/{study}: every instance must belong to that study. */
  expectedStudyUid?: string;
  /** The request's own committer (see requestCommitter); otherwise group commit. */
  committer?: Committer;
  /** Who wrote the File Meta: the sender (default) or us from a C-STORE command (names it in warnings). */
  fileMetaFrom?: Announcer;
}

/** How often journaled index commits are made durable (bounds what a restart re-reads). */
const CHECKPOINT_MS = 1000;
/**
 * Objects above this size take sync-then-commit: for CT-sized objects (525 KB) the overlap showed
 * no latency gain and 5–10 % more process CPU per instance on the busy machine (session 21).
 */
const OVERLAP_MAX_BYTES = 256 * 1024;
const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';
const STORABLE_UID = /^[0-9]+(\.[0-9]+)*$/;

/**
 * The single ingest path: STOW-RS, C-STORE and bulk import all store through here. An
 * object is acknowledged (the promise resolves) only once its bytes are fsynced, renamed
 * into place, the folder fsynced and the index committed.
 */
export class Archive {
  private readonly committer: GroupCommitter;
  private freeCheck = { at: 0, bytes: Number.POSITIVE_INFINITY };
  private readonly fetchers = new Map<string, RemoteFetcher>();
  private readonly checkpoints: NodeJS.Timeout | undefined;
  /** The last journal mark recorded; undefined until recover() read it. */
  private mark: JournalMark | undefined;
  private checkpointing: Promise<void> | undefined;
  private closed = false;
  /** Objects whose index row is committed and whose sync is still in flight (see bothDone), to when both are done. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Stores under way (store() entered, not returned). */
  private storing = 0;

  /** The index is the archive's own: other modules reach it through the methods below. */
  constructor(
    private readonly index: ArchiveIndex,
    readonly blobs: BlobStore,
    private readonly opts: ArchiveOptions,
  ) {
    this.committer = new GroupCommitter(index);
    if (blobs.journal) {
      this.checkpoints = setInterval(() => void this.checkpoint(), CHECKPOINT_MS);
      this.checkpoints.unref();
    }
  }

  /**
   * Journaled objects are indexed by unsynced commits; this synced one makes them all
   * durable and moves the journal mark past them, so a restart re-reads little of the journal.
   * One at a time; a failure loses the index's durability (the index reports it).
   */
  checkpoint(): Promise<void> {
    this.checkpointing ??= this.writeMark().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  private async writeMark(): Promise<void> {
    const journal = this.blobs.journal;
    // After a failed sync the mark must stay: the restart re-reads the journal from it.
    if (!journal || this.closed || this.index.durabilityLost) return;
    this.mark ??= await this.index.journalMark();
    const low = journal.lowWater();
    if (low.segment === this.mark.segment && low.offset === this.mark.offset) return;
    try {
      await this.index.checkpoint(low);
    } catch {
      return;
    }
    this.mark = low;
  }

  /** Durability of the index was lost (see ArchiveIndex.durabilityLost); `listener` hears it once. */
  onDurabilityLost(listener: (err: Error) => void): void {
    this.index.onDurabilityLost(listener);
  }

  /** Probe used by /health: the instances indexed (throws when the index cannot be read). */
  check(): Promise<{ instances: number }> {
    return this.index.check();
  }

  /** Serialized metadata of the instances in scope (WADO-RS metadata). */
  metadata(scope: InstanceScope): Promise<InstanceMetadata[]> {
    return this.index.metadata(scope);
  }

  /** Changes whenever an instance in scope is added, replaced or removed. */
  scopeVersion(scope: InstanceScope): Promise<ScopeVersion> {
    return this.index.scopeVersion(scope);
  }

  /** Every blob key the index refers to within one study (the orphan sweep keeps these). */
  blobKeysOfStudy(studyUid: string): Promise<Set<string>> {
    return this.index.blobKeysOfStudy(studyUid);
  }

  /** Instances held in a study; 0 when it is unknown. */
  studyInstanceCount(studyUid: string): Promise<number> {
    return this.index.studyInstanceCount(studyUid);
  }

  /**
   * After an unclean stop: index again every journaled object from the mark on that the
   * index lost (its unsynced commit did not reach the disk). Run before serving.
   */
  async recover(): Promise<number> {
    const journal = this.blobs.journal;
    if (!journal) return 0;
    let redone = 0;
    this.mark = await this.index.journalMark();
    // Rows committed while their record's sync was in flight: a power cut may have left the row
    // and not the record. Those go (they were never acknowledged); the rest stay.
    const unconfirmed = (await this.index.unconfirmedBlobs?.()) ?? [];
    const lost = unconfirmed.filter((u) => !journal.holdsIntact(u.key));
    if (lost.length > 0) await this.index.dropUnconfirmed?.(lost);
    for (const { key, note, bytes } of journal.recordsFrom(this.mark)) {
      if (await this.index.holdsBlob(note.sop, key)) continue;
      let parsed: ParsedInstance;
      try {
        parsed = parseInstance(bufferSource(bytes), { bulkDataThreshold: this.opts.bulkDataThreshold });
      } catch {
        continue; // appended only after it parsed; a record that does not parse is not one of ours
      }
      const existing = await this.index.findInstance(parsed.sopInstanceUid);
      if (existing && !isRemoteKey(existing.blobKey)) {
        const fresh = { source: bufferSource(bytes), size: bytes.length, datasetOffset: parsed.datasetOffset };
        if (await sameDataset(this.blobs, fresh, existing)) continue;
      }
      await this.index.commit(
        [
          {
            replaces: existing?.blobKey ?? null,
            journaled: true,
            record: {
              studyUid: parsed.studyInstanceUid,
              seriesUid: parsed.seriesInstanceUid,
              sopUid: parsed.sopInstanceUid,
              sopClassUid: parsed.sopClassUid,
              transferSyntaxUid: parsed.transferSyntaxUid,
              blobKey: key,
              size: bytes.length,
              datasetOffset: parsed.datasetOffset,
              json: parsed.json,
              source: note.source,
              // C-STORE's File Meta is ours, made from the command; the message names the File Meta either way.
              notes: fileMetaNotes(parsed),
            },
          },
        ],
        { durability: 'journaled' },
      );
      redone++;
    }
    await this.checkpoint();
    return redone;
  }

  /** Stop checkpointing; the last checkpoint makes every journaled commit durable. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.checkpoints) clearInterval(this.checkpoints);
    await this.checkpoint();
    this.closed = true;
    await this.index.close();
    this.blobs.close?.();
  }

  async storeFile(path: string, ctx: StoreContext): Promise<StoreOutcome> {
    return this.store(createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>, ctx);
  }

  async store(chunks: AsyncIterable<Buffer>, ctx: StoreContext): Promise<StoreOutcome> {
    this.storing++;
    try {
      return await this.storeCounted(chunks, ctx);
    } finally {
      this.storing--;
    }
  }

  private async storeCounted(chunks: AsyncIterable<Buffer>, ctx: StoreContext): Promise<StoreOutcome> {
    let writer: BlobWriter;
    try {
      await this.ensureSpace();
      writer = await this.blobs.create();
    } catch (e) {
      for await (const _ of chunks); // a multipart stream moves on only once this part is read
      throw asStoreError(e);
    }
    let sealed: SealedBlob;
    let head: Buffer;
    try {
      head = await receive(chunks, writer);
      sealed = await writer.seal();
    } catch (e) {
      await writer.abort();
      throw asStoreError(e);
    }
    let parsed: ParsedInstance | undefined;
    try {
      parsed = this.parse(sealed, head, ctx);
      return await this.commit(sealed, parsed, ctx);
    } catch (e) {
      await sealed.discard();
      const err = asStoreError(e);
      if (!parsed || err.sop) throw err;
      throw new StoreError(err.status, err.message, {
        classUid: parsed.sopClassUid,
        instanceUid: parsed.sopInstanceUid,
      });
    }
  }

  private parse(sealed: SealedBlob, head: Buffer, ctx: StoreContext): ParsedInstance {
    const parsed = parseInstance(sealed.source(head.subarray(0, Math.min(head.length, sealed.size))), {
      bulkDataThreshold: this.opts.bulkDataThreshold,
    });
    const sop = { classUid: parsed.sopClassUid, instanceUid: parsed.sopInstanceUid };
    for (const [name, uid] of [
      ['SOPInstanceUID', parsed.sopInstanceUid],
      ['SOPClassUID', parsed.sopClassUid],
      ['StudyInstanceUID', parsed.studyInstanceUid],
      ['SeriesInstanceUID', parsed.seriesInstanceUid],
    ] as const) {
      if (uid.length > 64 || !STORABLE_UID.test(uid)) {
        throw new StoreError(DicomStatus.CannotUnderstand, `${name} "${uid}" is not a valid UID`, sop);
      }
    }
    if (parsed.sopClassUid === MEDIA_STORAGE_DIRECTORY) {
      throw new StoreError(
        DicomStatus.SopClassNotSupported,
        'a DICOMDIR (Media Storage Directory) is not an instance to store',
        sop,
      );
    }
    if (ctx.expectedStudyUid && ctx.expectedStudyUid !== parsed.studyInstanceUid) {
      throw new StoreError(
        DicomStatus.DataSetDoesNotMatchSopClass,
        `StudyInstanceUID ${parsed.studyInstanceUid} does not match the study ${ctx.expectedStudyUid} of the request URL`,
        sop,
      );
    }
    return parsed;
  }

  private async commit(sealed: SealedBlob, parsed: ParsedInstance, ctx: StoreContext): Promise<StoreOutcome> {
    const ref = {
      studyUid: parsed.studyInstanceUid,
      seriesUid: parsed.seriesInstanceUid,
      sopUid: parsed.sopInstanceUid,
      sopClassUid: parsed.sopClassUid,
    };
    const fresh = { source: sealed.source(), size: sealed.size, datasetOffset: parsed.datasetOffset };
    // A File Meta that disagrees with the data set is no reason to refuse it (file-meta-check.ts).
    const notes = fileMetaNotes(parsed, ctx.fileMetaFrom);
    const warning = warningOf(notes);
    const warned = <T extends StoreOutcome>(o: T): T => (warning ? { ...o, warning } : o);
    let placed: PlacedBlob | undefined;
    try {
      // A concurrent store of the same SOP Instance can slip in between looking and
      // committing; the index then answers `retry` and we decide again.
      for (let attempt = 0; attempt < 5; attempt++) {
        let existing = await this.index.findInstance(ref.sopUid);
        // A version whose sync is still in flight is not one to answer `duplicate` against, nor to
        // replace: wait until its store is done (durable, or its row gone).
        for (let busy: Promise<void> | undefined; existing && (busy = this.inFlight.get(existing.blobKey)); ) {
          await busy;
          existing = await this.index.findInstance(ref.sopUid);
        }
        // A remote-only record (metadata-only source) is replaced by the bytes, not versioned.
        if (existing && !isRemoteKey(existing.blobKey)) {
          if (await sameDataset(this.blobs, fresh, existing)) {
            if (placed) await this.blobs.remove(placed.key);
            else await sealed.discard();
            return warned({ kind: 'duplicate', record: ref });
          }
          if (this.opts.duplicatePolicy === 'reject') throw duplicateError(ref.sopUid);
        }
        placed ??= await sealed.commit(instancePlacement(ref.studyUid, ref.sopUid, ctx.source));
        const durable = placed.durable;
        // The index commit overlaps the record's sync only for a new instance (nothing replaced, no
        // rejection note hiding others) and an index whose recovery can check the record: a row
        // it must drop after a power cut then takes nothing else with it. And only for the one
        // store under way (one association's pace): where several are, their appends share a
        // sync and their commits one transaction after it, which costs less than one each.
        // And only for objects up to OVERLAP_MAX_BYTES (docs/ingest-cpu.md, "Session 21").
        const overlap =
          durable !== undefined &&
          placed.at !== undefined &&
          sealed.size <= OVERLAP_MAX_BYTES &&
          this.storing === 1 &&
          existing === undefined &&
          this.index.dropUnconfirmed !== undefined &&
          !rejectionNote(parsed.sopClassUid, parsed.json);
        if (durable && !overlap) await this.untilDurable(placed);
        const submitted = (ctx.committer ?? this.committer).submit({
          replaces: existing?.blobKey ?? null,
          journaled: placed.journaled,
          ...(overlap ? { unconfirmed: placed.at } : {}),
          record: {
            ...ref,
            transferSyntaxUid: parsed.transferSyntaxUid,
            blobKey: placed.key,
            size: sealed.size,
            datasetOffset: parsed.datasetOffset,
            json: parsed.json,
            source: ctx.source,
            ...(notes.length ? { notes } : {}),
          },
        });
        const result = overlap ? await this.bothDone(placed, ref.sopUid, submitted) : await submitted;
        if (result.decision === 'stored' || result.decision === 'new-version') {
          if (placed.journaled) this.blobs.journal?.settle(placed.key);
          return warned(
            result.decision === 'stored'
              ? { kind: 'stored', record: ref }
              : { kind: 'new-version', record: ref, version: result.version },
          );
        }
      }
      throw new StoreError(
        DicomStatus.ProcessingFailure,
        `SOP Instance ${ref.sopUid} kept changing while it was being stored`,
      );
    } catch (e) {
      // An index sync failure leaves the record committed: its bytes must stay. Bytes that never
      // became durable have nothing to remove (the record is zeros or torn: readers skip it).
      if (placed && !(e instanceof IndexSyncError) && !(e instanceof BytesNotDurable))
        await this.blobs.remove(placed.key);
      throw e;
    }
  }

  /**
   * Index an instance whose bytes stay in a watched PACS (metadata-only source). A local
   * copy is never replaced by a remote record: that answers `duplicate`.
   */
  async indexRemote(
    json: DicomJson,
    ctx: { /** Name of the watched source that holds the bytes. */ source: string },
  ): Promise<StoreOutcome> {
    const uid = (tag: string) => {
      const v = json[tag]?.Value?.[0];
      return typeof v === 'string' ? v.trim() : '';
    };
    const ref = {
      studyUid: uid('0020000D'),
      seriesUid: uid('0020000E'),
      sopUid: uid('00080018'),
      sopClassUid: uid('00080016'),
    };
    for (const [name, value] of Object.entries(ref)) {
      if (value.length > 64 || !STORABLE_UID.test(value))
        throw new StoreError(DicomStatus.CannotUnderstand, `${name} "${value}" is not a valid UID`);
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.index.findInstance(ref.sopUid);
      if (existing) return { kind: 'duplicate', record: ref };
      const result = await this.committer.submit({
        replaces: null,
        record: {
          ...ref,
          transferSyntaxUid: uid('00020010'),
          blobKey: remoteKey(ctx.source),
          size: 0,
          datasetOffset: 0,
          json: localBulkReferences(json),
          source: `source:${ctx.source}`,
        },
      });
      if (result.decision === 'stored') return { kind: 'stored', record: ref };
    }
    throw new StoreError(
      DicomStatus.ProcessingFailure,
      `SOP Instance ${ref.sopUid} kept changing while it was being indexed`,
    );
  }

  /** The fetcher that brings in the bytes of instances indexed remotely from `source`. */
  setRemoteFetcher(source: string, fetcher: RemoteFetcher): void {
    this.fetchers.set(source, fetcher);
  }

  /**
   * Make sure the bytes of every instance in scope are here: remote-only instances are
   * fetched from their source (stored through store()). Throws RemoteFetchError.
   */
  async materialize(scope: InstanceScope): Promise<void> {
    const remote = (await this.index.instances(scope)).filter((i) => isRemoteKey(i.blobKey));
    if (remote.length === 0) return;
    const bySource = new Map<string, StoredInstance[]>();
    for (const i of remote) {
      const source = sourceOfRemoteKey(i.blobKey);
      bySource.set(source, [...(bySource.get(source) ?? []), i]);
    }
    for (const [source, instances] of bySource) {
      const fetcher = this.fetchers.get(source);
      if (!fetcher) throw new RemoteFetchError(`the images are held by source "${source}", which is not configured`);
      try {
        await fetcher(instances);
      } catch (e) {
        throw new RemoteFetchError(
          `could not fetch ${instances.length} instance(s) from source "${source}": ${(e as Error).message}`,
        );
      }
    }
    const still = (await this.index.instances(scope)).filter((i) => isRemoteKey(i.blobKey)).length;
    if (still > 0) throw new RemoteFetchError(`source did not deliver ${still} of ${remote.length} instance(s)`);
  }

  /** A committer for a request acknowledged as a whole; the caller flushes it before waiting and at the end. */
  requestCommitter(size: number): RequestCommitter {
    return new RequestCommitter(this.index, size);
  }

  instances(scope: InstanceScope): Promise<StoredInstance[]> {
    return this.index.instances(scope);
  }

  /** Administrative deletion: index first (the record), then the files. Returns how many instances went. */
  async delete(scope: InstanceScope, actor: string, reason?: string): Promise<number> {
    const keys = await this.index.delete(scope, actor, reason);
    await Promise.all(keys.filter((k) => !isRemoteKey(k)).map((k) => this.blobs.remove(k)));
    return keys.length;
  }

  /** The placed object's sync, awaited; a failed one leaves nothing to remove (the record never became durable). */
  private async untilDurable(placed: PlacedBlob): Promise<void> {
    const durable = placed.durable;
    if (!durable) return;
    try {
      await durable;
    } catch (e) {
      this.blobs.journal?.settle(placed.key); // no row names it
      throw new BytesNotDurable(e);
    }
    placed.durable = undefined;
  }

  /**
   * An index commit made while the object's sync was in flight: settles once both are done, so
   * nothing is acknowledged before the bytes are durable. A failed sync takes the committed row
   * out again (it was never acknowledged); meanwhile a store of the same SOP Instance waits.
   */
  private async bothDone(placed: PlacedBlob, sop: string, submitted: Promise<IndexedResult>): Promise<IndexedResult> {
    let done!: () => void;
    this.inFlight.set(
      placed.key,
      new Promise<void>((r) => {
        done = r;
      }),
    );
    try {
      const [committed, synced] = await Promise.allSettled([submitted, placed.durable]);
      if (synced.status === 'rejected') {
        // Settled only once no row names it: if the drop fails, the mark stays below the record
        // and the next start checks it (and drops the row).
        let dropped = true;
        if (committed.status === 'fulfilled' && committed.value.decision !== 'retry')
          await this.index.dropUnconfirmed?.([{ key: placed.key, sop }]).catch(() => {
            dropped = false;
          });
        if (dropped) this.blobs.journal?.settle(placed.key);
        throw new BytesNotDurable(synced.reason);
      }
      placed.durable = undefined;
      if (committed.status === 'rejected') throw committed.reason;
      return committed.value;
    } finally {
      this.inFlight.delete(placed.key);
      done();
    }
  }

  private async ensureSpace(): Promise<void> {
    const now = Date.now();
    if (now - this.freeCheck.at > 1000) this.freeCheck = { at: now, bytes: await this.blobs.freeBytes() };
    if (this.freeCheck.bytes < this.opts.minFreeBytes) {
      throw new StoreError(DicomStatus.OutOfResources, `storage is full: ${this.freeCheck.bytes} bytes free`);
    }
  }
}

/** `ab/<StudyInstanceUID>`: one folder per study (one folder fsync covers a study's files), 256 shards. */
export { studyFolder } from './blob-key.js';

/** The sync of a placed object failed: it is not stored (asStoreError makes it a processing failure). */
class BytesNotDurable extends Error {
  constructor(readonly failure: unknown) {
    super((failure as Error)?.message ?? String(failure));
    this.name = 'BytesNotDurable';
  }
}

function duplicateError(sopUid: string): StoreError {
  return new StoreError(
    DicomStatus.DuplicateSopInstance,
    `SOP Instance ${sopUid} is already stored with different content (duplicate policy: reject)`,
  );
}

function asStoreError(e: unknown): StoreError {
  if (e instanceof BytesNotDurable) return asStoreError(e.failure);
  if (e instanceof StoreError) return e;
  if (e instanceof DicomParseError) return new StoreError(DicomStatus.CannotUnderstand, e.message);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StoreError(DicomStatus.OutOfResources, 'storage is full');
  return new StoreError(DicomStatus.ProcessingFailure, `could not store the instance: ${(e as Error).message}`);
}
