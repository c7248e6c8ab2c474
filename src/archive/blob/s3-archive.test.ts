import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomStatus } from '../../core/dicom-status.js';
import { ROOT, ctInstance } from '../../dicom/test-support.js';
import { Archive } from '../archive.js';
import { SqliteIndex } from '../sqlite/sqlite-index.js';
import { createS3Client } from './s3-client.js';
import { S3BlobStore } from './s3-blob-store.js';
import { startTestS3, type TestS3 } from './test-support.js';

async function* chunks(buf: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += 1000) yield buf.subarray(i, i + 1000);
}

describe('archive on S3', () => {
  let s3: TestS3;
  let dir: string;
  let archive: Archive;
  const client = () => createS3Client(s3.connection);
  const keys = async () => {
    const c = client();
    const listed = await c.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'arch/' }));
    c.destroy();
    return (listed.Contents ?? []).map((o) => o.Key);
  };

  beforeAll(async () => {
    s3 = await startTestS3('ib-archive-s3');
    dir = mkdtempSync(join(tmpdir(), 'ib-archive-s3-'));
    const blobs = new S3BlobStore(client(), { bucket: s3.bucket, prefix: 'arch/' }, dir);
    archive = new Archive(new SqliteIndex(join(dir, 'index.sqlite')), blobs, {
      duplicatePolicy: 'reject',
      bulkDataThreshold: 1024,
      minFreeBytes: 0,
    });
  });
  afterAll(async () => {
    archive?.close();
    rmSync(dir, { recursive: true, force: true });
    await s3?.stop();
  });

  it('stores once, answers a resend as a duplicate without a second object, refuses other content for the same UID', async () => {
    const sop = `${ROOT}.55.1`;
    const first = ctInstance({ sop });
    expect((await archive.store(chunks(first), { source: 'test' })).kind).toBe('stored');
    expect(await keys()).toHaveLength(1);
    expect((await archive.store(chunks(first), { source: 'test' })).kind).toBe('duplicate');
    const other = ctInstance({ sop, description: 'Other content' });
    await expect(archive.store(chunks(other), { source: 'test' })).rejects.toMatchObject({
      status: DicomStatus.DuplicateSopInstance,
    });
    expect(await keys()).toHaveLength(1);
    const [stored] = await archive.instances({ studyUid: `${ROOT}.1` });
    expect((await archive.blobs.read(stored!.blobKey)).equals(first)).toBe(true);
  });

  it('deletes the object with the instance', async () => {
    expect(await archive.delete({ studyUid: `${ROOT}.1` }, 'test')).toBe(1);
    expect(await keys()).toEqual([]);
  });
});
