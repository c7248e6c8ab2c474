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
import { bufferSource, fileSource } from '../../dicom/index.js';
import { removeAbandonedTemps } from '../file-blob-store.js';
import type { BlobStore, BlobWriter, OpenBlob, SealedBlob } from '../types.js';
import { s3Failure, isMissing } from './s3-errors.js';

/** Objects up to this size are held in memory while they arrive and sent with one PUT. */
const MEMORY_LIMIT = 4 * 1024 * 1024;
/** Larger ones are spooled to a local file and sent as a multipart upload of parts this big. */
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

export interface S3Place {
  bucket: string;
  /** '' or segments ending in '/'. */
  prefix: string;
}

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
    private readonly opts: { memoryLimit?: number; partSize?: number } = {},
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
    const limit = this.opts.memoryLimit ?? MEMORY_LIMIT;
    let held: Buffer[] = [];
    let size = 0;
    let spool: { path: string; fh: fsp.FileHandle } | undefined;
    const dropSpool = async () => {
      if (!spool) return;
      await spool.fh.close().catch(() => undefined);
      await fsp.rm(spool.path, { force: true });
    };
    const append = async (chunks: Buffer[]) => {
      for (const c of chunks) {
        // A spool needs no fsync: S3 makes the object durable, and a crash loses only unacknowledged bytes.
        for (let done = 0; done < c.length; ) done += (await spool!.fh.write(c, done, c.length - done)).bytesWritten;
      }
    };
    return {
      writev: async (chunks) => {
        if (spool) {
          await append(chunks);
          for (const c of chunks) size += c.length;
          return;
        }
        held.push(...chunks);
        for (const c of chunks) size += c.length;
        if (size > limit) {
          const path = join(
            this.spoolDir,
            `${process.pid}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.part`,
          );
          spool = { path, fh: await fsp.open(path, 'w+', 0o600) };
          await append(held);
          held = [];
        }
      },
      abort: async () => {
        held = [];
        await dropSpool();
      },
      seal: async (): Promise<SealedBlob> => {
        if (spool) {
          const { fh, path } = spool;
          return {
            size,
            source: (head) => fileSource(fh.fd, size, head),
            discard: dropSpool,
            commit: async ({ key }) => {
              const upload = new Upload({
                client: this.client,
                params: { Bucket: this.place.bucket, Key: this.objectKey(key), Body: createReadStream(path) },
                partSize: this.opts.partSize ?? PART_SIZE,
                queueSize: PARTS_IN_FLIGHT,
                leavePartsOnError: false,
              });
              try {
                await upload.done();
              } catch (e) {
                throw new Error(`could not store the object in ${this.url}: ${s3Failure(e)}`);
              }
              await dropSpool();
              return { key, journaled: false };
            },
          };
        }
        const bytes = held.length === 1 ? held[0]! : Buffer.concat(held, size);
        held = [];
        return {
          size,
          source: () => bufferSource(bytes),
          discard: async () => undefined,
          commit: async ({ key }) => {
            try {
              await this.client.send(
                new PutObjectCommand({
                  Bucket: this.place.bucket,
                  Key: this.objectKey(key),
                  Body: bytes,
                  ContentLength: bytes.length,
                }),
              );
            } catch (e) {
              throw new Error(`could not store the object in ${this.url}: ${s3Failure(e)}`);
            }
            return { key, journaled: false };
          },
        };
      },
    };
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
