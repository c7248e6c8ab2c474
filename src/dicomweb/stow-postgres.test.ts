import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from '../../test/support/multipart.js';
import { Archive } from '../archive/archive.js';
import { createS3Client } from '../archive/blob/s3-client.js';
import { S3BlobStore } from '../archive/blob/s3-blob-store.js';
import { startTestS3, type TestS3 } from '../archive/blob/test-support.js';
import { PgIndex } from '../archive/postgres/pg-index.js';
import type { BlobStore } from '../archive/types.js';
import { testPostgres } from '../core/postgres/test-cluster.js';
import { ROOT, ctInstance } from '../dicom/test-support.js';
import { stow } from './stow.js';

/**
 * STOW-RS on PostgreSQL + S3 (issue 22): a request's index writes are committed together even
 * when its parts reach S3 at different times — two commits of one study would take its study
 * lock in turn — and concurrent requests to one study still index every instance once.
 */
const server = testPostgres();
const skip = 'reason' in server ? server.reason : undefined;

async function* chunks(buf: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += 4096) yield buf.subarray(i, i + 4096);
}

/** `blobs`, with the placement of the SOP Instances `slow` names held back `ms` (a slower PUT). */
function slowerPlacement(blobs: BlobStore, slow: (sopUid: string) => boolean, ms: number): BlobStore {
  return Object.assign(Object.create(blobs) as BlobStore, {
    create: async () => {
      const w = await blobs.create();
      return {
        ...w,
        seal: async () => {
          const sealed = await w.seal();
          return {
            ...sealed,
            commit: async (p: Parameters<typeof sealed.commit>[0]) => {
              if (slow(p.sopUid)) await new Promise((r) => setTimeout(r, ms));
              return sealed.commit(p);
            },
          };
        },
      };
    },
  });
}

describe.skipIf(skip !== undefined)(`STOW-RS on PostgreSQL + S3${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let s3: TestS3;
  let dir: string;
  let index: PgIndex;
  let archive: Archive;
  /** The writes of each index commit, in order. */
  const commits: number[] = [];

  beforeAll(async () => {
    if ('reason' in server) return;
    s3 = await startTestS3('ib-stow-pg');
    dir = mkdtempSync(join(tmpdir(), 'ib-stow-pg-'));
    index = await PgIndex.open(await server.url(), `t_${randomBytes(6).toString('hex')}`);
    const commit = index.commit.bind(index);
    index.commit = (writes, options) => {
      commits.push(writes.length);
      return commit(writes, options);
    };
    const blobs = new S3BlobStore(createS3Client(s3.connection), { bucket: s3.bucket, prefix: 'stow/' }, dir);
    archive = new Archive(
      index,
      slowerPlacement(blobs, (sop) => sop.endsWith('.2'), 60),
      { duplicatePolicy: 'reject', bulkDataThreshold: 1024, minFreeBytes: 0 },
    );
  });
  afterAll(async () => {
    await index?.dropSchema();
    await archive?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await s3?.stop();
    if (!('reason' in server)) await server.stop();
  });

  const send = (files: Buffer[]) => {
    const { body, contentType } = multipartBody(files, `b-${randomBytes(4).toString('hex')}`);
    return stow({ contentType, body: chunks(body) }, { archive, publicUrl: 'http://localhost/dicomweb' });
  };
  const study = (n: number) => `${ROOT}.22.${n}`;
  const instance = (s: number, i: number) =>
    ctInstance({ study: study(s), series: `${study(s)}.1`, sop: `${study(s)}.1.${i}` });

  it('commits a request whose parts reach S3 apart in one index commit', async () => {
    commits.length = 0;
    const res = await send([instance(1, 1), instance(1, 2)]);
    expect(res.status).toBe(200);
    expect(commits).toEqual([2]);
    expect(await index.studyInstanceCount(study(1))).toBe(2);
  });

  it('indexes every instance of concurrent requests to one study once, one commit per request', async () => {
    commits.length = 0;
    const requests = Array.from({ length: 10 }, (_, r) => [instance(2, 2 * r + 1), instance(2, 2 * r + 2)]);
    const answers = await Promise.all(requests.map(send));
    expect(answers.map((a) => a.status)).toEqual(requests.map(() => 200));
    expect(commits).toEqual(requests.map(() => 2));
    const stored = (await index.instances({ studyUid: study(2) })).map((i) => i.sopUid);
    expect(new Set(stored).size).toBe(20);
    expect(stored).toHaveLength(20);
    expect(await index.studyInstanceCount(study(2))).toBe(20);
  });

  it('does not wait for a part that fails before its write', async () => {
    commits.length = 0;
    const res = await send([instance(3, 2), Buffer.from('not DICOM at all')]);
    expect(res.status).toBe(202);
    expect(commits).toEqual([1]);
    expect(await index.studyInstanceCount(study(3))).toBe(1);
  });
});
