import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { privateDir } from '../../core/private-files.js';
import { fileSource } from '../../dicom/index.js';
import { removeAbandonedTemps } from '../file-blob-store.js';
import type { BlobStore, BlobWriter, OpenBlob, SealedBlob } from '../types.js';
import type { StudyObjects } from '../orphan-sweep.js';
import { memoryFirstWriter } from './memory-first-writer.js';
import { type S3Place, studyObjectsSince } from './s3-listing.js';

export type { S3Place } from './s3-listing.js';
import { s3Failure, isMissing } from './s3-errors.js';

/** Objects up to this size are held in memory while they arrive and sent with one PUT. */
const MEMORY_LIMIT = 4 * 1024 * 1024;
/** Larger ones are spooled to a local file and sent as a multipart upload of parts this big. */
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/**
 * Instance bytes as objects in S3 (or an S3-compatible server), one object per instance under
 * `PREFIX` + the archive's key (`ab/<StudyInstanceUID>/<SOP>-<random>.dcm`). A received object
 * arrives in memory (small) or in a spool file under `<spoolRoot>/tmp` (large), where the archive
 * parses it; `commit` sends it (PUT, or a multipart upload) and returns once S3 answered:
 * S3 holds the object durably before the archive indexes and acknowledges it. Nothing is
 * journaled: the index commits that name these objects are synced.
 */
export class S3BlobStore implements BlobStore {
  private readonly spoolDir: string;

  constructor(
    private readonly client: S3Client,
    private readonly place: S3Place,
    spoolRoot: string,
    private readonly opts: { memoryLimit?: number; partSize?: number; listPageSize?: number } = {},
  ) {
    this.spoolDir = join(spoolRoot, 'tmp');
    privateDir(spoolRoot);
    privateDir(this.spoolDir);
    removeAbandonedTemps(this.spoolDir);
  }

  /** `s3://bucket/prefix`, for messages. */
  get url(): string {
    return `s3://${this.place.bucket}/${this.place.prefix}`;
  }

  /**
   * Start-up check: the bucket exists and we may write and delete under the prefix. Throws an
   * Error whose message says what is wrong (no bucket, access denied, endpoint unreachable).
   */
  async check(): Promise<void> {
    const probe = `${this.place.prefix}.imaging-bridge-probe-${randomBytes(6).toString('hex')}`;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.place.bucket }));
      await this.client.send(new PutObjectCommand({ Bucket: this.place.bucket, Key: probe, Body: 'probe' }));
      await this.client.send(new DeleteObjectCommand({ Bucket: this.place.bucket, Key: probe }));
    } catch (e) {
      throw new Error(`blob store ${this.url} cannot be used: ${s3Failure(e)}`);
    }
  }

  async create(): Promise<BlobWriter> {
    return memoryFirstWriter(
      this.opts.memoryLimit ?? MEMORY_LIMIT,
      () => this.spool(),
      async (held, { key }) => {
        const bytes = held.whole();
        await this.sent(
          this.client.send(
            new PutObjectCommand({
              Bucket: this.place.bucket,
              Key: this.objectKey(key),
              Body: bytes,
              ContentLength: bytes.length,
            }),
          ),
        );
        return { key, journaled: false };
      },
    );
  }

  /** A large object: spooled to a local file while it arrives, then sent as a multipart upload. */
  private async spool(): Promise<BlobWriter> {
    const path = join(
      this.spoolDir,
      `${process.pid}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.part`,
    );
    const fh = await fsp.open(path, 'w+', 0o600);
    let size = 0;
    const discard = async () => {
      await fh.close().catch(() => undefined);
      await fsp.rm(path, { force: true });
    };
    return {
      writev: async (chunks) => {
        for (const c of chunks) {
          // A spool needs no fsync: S3 makes the object durable, and a crash loses only unacknowledged bytes.
          for (let done = 0; done < c.length; ) done += (await fh.write(c, done, c.length - done)).bytesWritten;
          size += c.length;
        }
      },
      abort: discard,
      seal: async (): Promise<SealedBlob> => ({
        size,
        source: (head) => fileSource(fh.fd, size, head),
        discard,
        commit: async ({ key }) => {
          const upload = new Upload({
            client: this.client,
            params: { Bucket: this.place.bucket, Key: this.objectKey(key), Body: createReadStream(path) },
            partSize: this.opts.partSize ?? PART_SIZE,
            queueSize: PARTS_IN_FLIGHT,
            leavePartsOnError: false,
          });
          await this.sent(upload.done());
          await discard();
          return { key, journaled: false };
        },
      }),
    };
  }

  /** Waits for a write to S3; a failure says which store refused it and why. */
  private async sent(request: Promise<unknown>): Promise<void> {
    try {
      await request;
    } catch (e) {
      throw new Error(`could not store the object in ${this.url}: ${s3Failure(e)}`);
    }
  }

  async open(key: string): Promise<OpenBlob> {
    const Key = this.objectKey(key);
    let size: number;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.place.bucket, Key }));
      size = head.ContentLength ?? 0;
    } catch (e) {
      throw isMissing(e) ? missing(key) : e;
    }
    return {
      size,
      read: (offset, length) => this.range(key, offset, offset + length),
      close: async () => undefined,
    };
  }

  read(key: string): Promise<Buffer> {
    return this.range(key);
  }

  stream(key: string, start = 0, end?: number): NodeJS.ReadableStream {
    const body = async () => {
      if (end !== undefined && end <= start) return undefined;
      return (await this.get(key, start, end)).Body as Readable;
    };
    return Readable.from(
      (async function* () {
        const b = await body();
        if (b) yield* b;
      })(),
      { objectMode: false },
    );
  }

  async remove(key: string): Promise<void> {
    // Deleting an object that is not there succeeds in S3, as `rm -f` does for files.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.place.bucket, Key: this.objectKey(key) }));
  }

  /** Archive objects written since `sinceMs`, by study, for the orphan sweep (a listing of the whole prefix). */
  studyFoldersChangedSince(sinceMs: number): AsyncGenerator<StudyObjects> {
    return studyObjectsSince(this.client, this.place, sinceMs, this.opts.listPageSize);
  }

  /** Object storage has no volume to fill; the spool (and the index beside it) does. */
  async freeBytes(): Promise<number> {
    const s = await fsp.statfs(this.spoolDir);
    return s.bavail * s.bsize;
  }

  close(): void {
    this.client.destroy();
  }

  private async range(key: string, start?: number, end?: number): Promise<Buffer> {
    if (start !== undefined && end !== undefined && end <= start) return Buffer.alloc(0);
    const out = await this.get(key, start, end);
    const bytes = await out.Body!.transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private async get(key: string, start?: number, end?: number) {
    const Range =
      start === undefined || (start === 0 && end === undefined)
        ? undefined
        : `bytes=${start}-${end === undefined ? '' : end - 1}`;
    try {
      return await this.client.send(
        new GetObjectCommand({ Bucket: this.place.bucket, Key: this.objectKey(key), ...(Range ? { Range } : {}) }),
      );
    } catch (e) {
      throw isMissing(e) ? missing(key) : e;
    }
  }

  private objectKey(key: string): string {
    if (!/^[0-9A-Za-z._/-]+$/.test(key) || key.includes('..')) throw new Error(`invalid blob key ${key}`);
    return this.place.prefix + key;
  }
}

/** Callers tell a missing object (deleted meanwhile) by ENOENT, as for files. */
function missing(key: string): Error {
  return Object.assign(new Error(`no stored object ${key}`), { code: 'ENOENT' });
}
