import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { DicomStatus, StoreError } from '../core/errors.js';
import { DicomParseError, datasetOffset, fileSource, parseInstance, type ParsedInstance } from '../dicom/index.js';
import { GroupCommitter } from './group-committer.js';
import type { SqliteIndex } from './sqlite/sqlite-index.js';
import type { BlobStore, BlobWriter, InstanceScope, SealedBlob, StoredInstance, StoreOutcome } from './types.js';

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
}

const HEAD_BYTES = 64 * 1024;
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

  constructor(
    readonly index: SqliteIndex,
    readonly blobs: BlobStore,
    private readonly opts: ArchiveOptions,
  ) {
    this.committer = new GroupCommitter(index);
  }

  async storeFile(path: string, ctx: StoreContext): Promise<StoreOutcome> {
    return this.store(createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>, ctx);
  }

  async store(chunks: AsyncIterable<Buffer>, ctx: StoreContext): Promise<StoreOutcome> {
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
    let hash: string;
    try {
      ({ head, hash } = await this.receive(chunks, writer));
      sealed = await writer.seal();
    } catch (e) {
      await writer.abort();
      throw asStoreError(e);
    }
    let parsed: ParsedInstance | undefined;
    try {
      parsed = this.parse(sealed, head, ctx);
      return await this.commit(sealed, parsed, hash, ctx);
    } catch (e) {
      await sealed.discard();
      const err = asStoreError(e);
      if (!parsed || err.sop) throw err;
      throw new StoreError(err.status, err.message, { classUid: parsed.sopClassUid, instanceUid: parsed.sopInstanceUid });
    }
  }

  /** Write the stream to the blob, hashing the dataset bytes (after the File Meta group) on the way. */
  private async receive(chunks: AsyncIterable<Buffer>, writer: BlobWriter): Promise<{ head: Buffer; hash: string }> {
    const hasher = createHash('sha256');
    const headParts: Buffer[] = [];
    let headLen = 0;
    let offset: number | undefined;
    let failure: unknown;
    for await (const chunk of chunks) {
      if (failure) continue; // drain, so a multipart stream can move on to the next part
      try {
        if (headLen < HEAD_BYTES) {
          headParts.push(chunk);
          headLen += chunk.length;
        }
        if (offset === undefined) {
          const head = Buffer.concat(headParts);
          offset = datasetOffset(head);
          if (offset === undefined && headLen >= HEAD_BYTES) throw new DicomParseError('File Meta Information group is longer than 64 KB');
          if (offset !== undefined) hasher.update(head.subarray(offset));
        } else {
          hasher.update(chunk);
        }
        await writer.write(chunk);
      } catch (e) {
        failure = e;
      }
    }
    if (failure) throw failure;
    const head = Buffer.concat(headParts);
    if (offset === undefined) {
      offset = datasetOffset(head);
      if (offset === undefined) throw new DicomParseError(`input ends after ${head.length} bytes, inside the File Meta Information`);
      hasher.update(head.subarray(offset));
    }
    return { head, hash: hasher.digest('hex') };
  }

  private parse(sealed: SealedBlob, head: Buffer, ctx: StoreContext): ParsedInstance {
    const parsed = parseInstance(fileSource(sealed.fd, sealed.size, head.subarray(0, Math.min(head.length, sealed.size))), {
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
      throw new StoreError(DicomStatus.SopClassNotSupported, 'a DICOMDIR (Media Storage Directory) is not an instance to store', sop);
    }
    const metaSop = parsed.fileMeta['00020003']?.Value?.[0];
    if (typeof metaSop === 'string' && metaSop !== parsed.sopInstanceUid) {
      throw new StoreError(
        DicomStatus.DataSetDoesNotMatchSopClass,
        `MediaStorageSOPInstanceUID ${metaSop} does not match SOPInstanceUID ${parsed.sopInstanceUid}`,
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

  private async commit(sealed: SealedBlob, parsed: ParsedInstance, hash: string, ctx: StoreContext): Promise<StoreOutcome> {
    const ref = {
      studyUid: parsed.studyInstanceUid,
      seriesUid: parsed.seriesInstanceUid,
      sopUid: parsed.sopInstanceUid,
      sopClassUid: parsed.sopClassUid,
    };
    // Fast path for re-sent objects: nothing to write.
    const existing = this.index.findInstance(ref.sopUid);
    if (existing && existing.datasetHash === hash) {
      await sealed.discard();
      return { kind: 'duplicate', record: ref };
    }
    if (existing && this.opts.duplicatePolicy === 'reject') throw duplicateError(ref.sopUid);
    const blobKey = `${ref.studyUid.slice(-2)}/${ref.studyUid}/${ref.sopUid}-${randomBytes(4).toString('hex')}.dcm`;
    await sealed.commit(blobKey);
    const result = await this.committer
      .submit({
      policy: this.opts.duplicatePolicy,
      record: {
        ...ref,
        transferSyntaxUid: parsed.transferSyntaxUid,
        blobKey,
        size: sealed.size,
        datasetHash: hash,
        json: parsed.json,
        source: ctx.source,
      },
    })
      .catch(async (e: unknown) => {
        await this.blobs.remove(blobKey);
        throw e;
      });
    switch (result.decision) {
      case 'stored':
        return { kind: 'stored', record: ref };
      case 'new-version':
        return { kind: 'new-version', record: ref, version: result.version };
      case 'duplicate':
        await this.blobs.remove(blobKey);
        return { kind: 'duplicate', record: ref };
      case 'conflict':
        await this.blobs.remove(blobKey);
        throw duplicateError(ref.sopUid);
    }
  }

  instances(scope: InstanceScope): StoredInstance[] {
    return this.index.instances(scope);
  }

  /** Administrative deletion: index first (the record), then the files. Returns how many instances went. */
  async delete(scope: InstanceScope, actor: string, reason?: string): Promise<number> {
    const keys = this.index.delete(scope, actor, reason);
    await Promise.all(keys.map((k) => this.blobs.remove(k)));
    return keys.length;
  }

  private async ensureSpace(): Promise<void> {
    const now = Date.now();
    if (now - this.freeCheck.at > 1000) this.freeCheck = { at: now, bytes: await this.blobs.freeBytes() };
    if (this.freeCheck.bytes < this.opts.minFreeBytes) {
      throw new StoreError(DicomStatus.OutOfResources, `storage is full: ${this.freeCheck.bytes} bytes free`);
    }
  }
}

function duplicateError(sopUid: string): StoreError {
  return new StoreError(
    DicomStatus.DuplicateSopInstance,
    `SOP Instance ${sopUid} is already stored with different content (duplicate policy: reject)`,
  );
}

function asStoreError(e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  if (e instanceof DicomParseError) return new StoreError(DicomStatus.CannotUnderstand, e.message);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StoreError(DicomStatus.OutOfResources, 'storage is full');
  return new StoreError(DicomStatus.ProcessingFailure, `could not store the instance: ${(e as Error).message}`);
}
