import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, type S3Connection } from './s3-client.js';
import { S3BlobStore } from './s3-blob-store.js';
import { blobStoreSuite, startTestS3, type TestS3 } from './test-support.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.stop();
});

function openS3(prefix: string, connection: S3Connection = s3.connection) {
  const spool = mkdtempSync(join(tmpdir(), 'ib-s3-spool-'));
  const client = createS3Client(connection);
  // Small limits so the suite's large object is spooled and sent in several parts (5 MB is S3's minimum part).
  const store = new S3BlobStore(client, { bucket: s3.bucket, prefix }, spool, {
    memoryLimit: 256 * 1024,
    partSize: 5 * 1024 * 1024,
  });
  return { store, client, spool };
}

blobStoreSuite('S3 (s3rver)', async () => {
  const { store, spool } = openS3('suite/');
  return {
    store,
    largeBytes: 11 * 1024 * 1024,
    close: async () => {
      store.close();
      rmSync(spool, { recursive: true, force: true });
    },
  };
});

describe('S3 blob store', () => {
  it('puts objects under the prefix and leaves no spool file behind', async () => {
    const { store, client, spool } = openS3('site-a/archive/');
    const w = await store.create();
    await w.writev([Buffer.alloc(600 * 1024, 1)]);
    const sealed = await w.seal();
    expect(readdirSync(join(spool, 'tmp'))).toHaveLength(1);
    await sealed.commit({ key: 'ab/1.2.3/4.dcm', sopUid: '4', source: 'test' });
    expect(readdirSync(join(spool, 'tmp'))).toEqual([]);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'site-a/' }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([['site-a/archive/ab/1.2.3/4.dcm', 600 * 1024]]);
    store.close();
    rmSync(spool, { recursive: true, force: true });
  });

  it('passes the start-up check on a usable bucket and names the problem otherwise', async () => {
    const ok = openS3('check/');
    await ok.store.check();
    ok.store.close();
    const noBucket = createS3Client(s3.connection);
    const spool = mkdtempSync(join(tmpdir(), 'ib-s3-spool-'));
    const missing = new S3BlobStore(noBucket, { bucket: 'no-such-bucket', prefix: '' }, spool);
    await expect(missing.check()).rejects.toThrow(/s3:\/\/no-such-bucket\/ cannot be used: the bucket does not exist/);
    missing.close();
    const closed = createS3Client({ ...s3.connection, endpoint: 'http://127.0.0.1:9' });
    const unreachable = new S3BlobStore(closed, { bucket: s3.bucket, prefix: '' }, spool);
    await expect(unreachable.check()).rejects.toThrow(/cannot reach the endpoint \(ECONNREFUSED\)/);
    unreachable.close();
    rmSync(spool, { recursive: true, force: true });
  });
});
