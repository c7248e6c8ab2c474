import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, parseInstance, readFrames } from '../../dicom/index.js';
import type { BlobStore, OpenBlob } from '../types.js';
import { withBlobSource } from './blob-source.js';
import type { S3Connection } from './s3-client.js';
import { ROOT, encapsulatedInstance } from '../../dicom/test-support.js';

/** An S3-compatible server for tests (s3rver, in this process, on a free port) with one bucket. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The variables a `serve` child process needs to reach it. */
  env: Record<string, string>;
  /** The same, as the S3 client takes it. */
  connection: S3Connection;
  stop(): Promise<void>;
}

export async function startTestS3(bucket = 'ib-test-blobs'): Promise<TestS3> {
  letS3rverPage();
  const directory = mkdtempSync(join(tmpdir(), 'ib-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    connection: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
    stop: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver 3.7 seals ListObjectsV2 continuation tokens with single DES, which Node's OpenSSL 3 no
 * longer offers: any truncated listing answered 500. Its 'des' is mapped to 3DES with the key
 * taken thrice (the same cipher, byte for byte), in the test process only, so listings page.
 */
function letS3rverPage(): void {
  const des = (k: crypto.CipherKey) => Buffer.concat([k as Buffer, k as Buffer, k as Buffer]);
  const cipher = crypto.createCipheriv;
  const decipher = crypto.createDecipheriv;
  if ((cipher as { desMapped?: boolean }).desMapped) return;
  const mappedCipher = ((algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, o?: never) =>
    algorithm === 'des' ? cipher('des-ede3-cbc', des(key), iv) : cipher(algorithm, key, iv, o)) as typeof cipher;
  const mappedDecipher = ((algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, o?: never) =>
    algorithm === 'des' ? decipher('des-ede3-cbc', des(key), iv) : decipher(algorithm, key, iv, o)) as typeof decipher;
  Object.assign(mappedCipher, { desMapped: true });
  crypto.createCipheriv = mappedCipher;
  crypto.createDecipheriv = mappedDecipher;
}

export interface OpenedBlobStore {
  store: BlobStore;
  /** An object at least this big takes the store's large-object path (a file, a multipart upload). */
  largeBytes: number;
  close(): Promise<void>;
}

const PLACE = { sopUid: '1.2.3', source: 'test' };

/** Writes `bytes` in chunks and commits them; the key the store placed them under. */
async function put(store: BlobStore, key: string, bytes: Buffer, chunk = 64 * 1024): Promise<string> {
  const w = await store.create();
  for (let at = 0; at < bytes.length; at += chunk) await w.writev([bytes.subarray(at, at + chunk)]);
  const sealed = await w.seal();
  expect(sealed.size).toBe(bytes.length);
  const placed = await sealed.commit({ ...PLACE, key });
  store.journal?.settle(placed.key);
  return placed.key;
}

/** A removed object is gone: reading fails with ENOENT, or (an erased pack record) gives zeros only. */
async function expectGone(store: BlobStore, key: string): Promise<void> {
  try {
    const bytes = await store.read(key);
    expect(bytes.every((b) => b === 0)).toBe(true);
  } catch (e) {
    expect((e as NodeJS.ErrnoException).code).toBe('ENOENT');
  }
}

async function drain(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** The behaviour every BlobStore must have, whatever holds the bytes. */
/** A multi-frame instance of about 6 MB (six 1 MB frames): larger than what is fetched whole. */
export function largeMultiFrame(): Buffer {
  const frames = Array.from({ length: 6 }, (_, i) =>
    Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(1024 * 1024, i + 1), Buffer.from([0xff, 0xd9])]),
  );
  return encapsulatedInstance({ frames, sop: `${ROOT}.3.77` });
}

export function blobStoreSuite(name: string, open: () => Promise<OpenedBlobStore>, dicom = largeMultiFrame): void {
  describe(`blob store contract: ${name}`, () => {
    let opened: OpenedBlobStore;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened?.close();
    });

    it('keeps a small object byte for byte: whole, ranges, streamed ranges, positional reads', async () => {
      const { store } = opened;
      const bytes = pattern(150_000, 1);
      const key = await put(store, 'aa/1.2.840/small-1.dcm', bytes);
      expect((await store.read(key)).equals(bytes)).toBe(true);
      expect((await drain(store.stream(key))).equals(bytes)).toBe(true);
      expect((await drain(store.stream(key, 1000, 70_000))).equals(bytes.subarray(1000, 70_000))).toBe(true);
      const blob = await store.open(key);
      expect(blob.size).toBe(bytes.length);
      expect((await blob.read(149_990, 10)).equals(bytes.subarray(149_990))).toBe(true);
      expect((await blob.read(0, 0)).length).toBe(0);
      await blob.close();
    });

    it('keeps a large object byte for byte and reads ranges of it without reading it whole', async () => {
      const { store, largeBytes } = opened;
      const bytes = pattern(largeBytes + 123_457, 7);
      const key = await put(store, 'bb/1.2.840/large-1.dcm', bytes);
      const blob = await store.open(key);
      expect(blob.size).toBe(bytes.length);
      const mid = Math.floor(bytes.length / 2);
      expect((await blob.read(mid, 100_000)).equals(bytes.subarray(mid, mid + 100_000))).toBe(true);
      await blob.close();
      expect((await drain(store.stream(key, mid))).equals(bytes.subarray(mid))).toBe(true);
      expect((await store.read(key)).equals(bytes)).toBe(true);
    });

    it('gives parsers synchronous random access to an opened object, reading only what they need', async () => {
      const { store } = opened;
      const file = dicom();
      const key = await put(store, 'cc/1.2.840/dicom-1.dcm', file);
      const direct = bufferSource(file);
      const parsedDirect = parseInstance(direct, { bulkDataThreshold: 1024 });
      const frameCount = Number(parsedDirect.json['00280008']?.Value?.[0] ?? 1);
      const blob = await store.open(key);
      let bytesRead = 0;
      const counted: OpenBlob = {
        ...blob,
        read: (offset, length) => {
          bytesRead += length;
          return blob.read(offset, length);
        },
      };
      const parsed = await withBlobSource(counted, (source) => parseInstance(source, { bulkDataThreshold: 1024 }));
      const frames = await withBlobSource(counted, (source) => readFrames(source, [frameCount]));
      await blob.close();
      expect(parsed.sopInstanceUid).toBe(parsedDirect.sopInstanceUid);
      expect(parsed.json).toEqual(parsedDirect.json);
      expect(frames.frames[0]!.equals(readFrames(direct, [frameCount]).frames[0]!)).toBe(true);
      // Remote reads fetch the header and the frame, not the object (local ones read nothing through `read`).
      expect(bytesRead).toBeLessThan(file.length / 2);
    });

    it('makes an object visible only when it is committed, and a discarded one never', async () => {
      const { store } = opened;
      const w = await store.create();
      await w.writev([Buffer.from('hello '), Buffer.from('world')]);
      const sealed = await w.seal();
      expect(sealed.source().read(6, 5).toString()).toBe('world');
      await expect(store.read('dd/1.2.840/late.dcm')).rejects.toMatchObject({ code: 'ENOENT' });
      await sealed.discard();
      await expect(store.read('dd/1.2.840/late.dcm')).rejects.toMatchObject({ code: 'ENOENT' });
      const aborted = await store.create();
      await aborted.writev([pattern(opened.largeBytes + 10, 3)]);
      await aborted.abort();
    });

    it('answers ENOENT for a missing object; a removed one is gone, and removing twice is no error', async () => {
      const { store } = opened;
      await expect(store.open('ee/1.2.840/none.dcm')).rejects.toMatchObject({ code: 'ENOENT' });
      const key = await put(store, 'ee/1.2.840/gone.dcm', pattern(5000, 9));
      await store.remove(key);
      await store.remove(key);
      await expectGone(store, key);
    });

    it('reports free bytes for out-of-resources decisions', async () => {
      expect(await opened.store.freeBytes()).toBeGreaterThan(0);
    });
  });
}
