import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../../dicom/test-support.js';
import { Archive, studyFolder } from '../archive.js';
import { OrphanSweeper } from '../orphan-sweep.js';
import { SqliteIndex } from '../sqlite/sqlite-index.js';
import { SqliteUpkeep } from '../sqlite/sqlite-upkeep.js';
import { createS3Client } from './s3-client.js';
import { S3BlobStore } from './s3-blob-store.js';
import { startTestS3, type TestS3 } from './test-support.js';

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

/** Two minutes on: objects written now are past the sweep's minimum age. */
const later = () => Date.now() + 120_000;

describe('orphan sweep of an S3 blob store', () => {
  let s3: TestS3;
  let dir: string;
  let client: S3Client;
  let index: SqliteIndex;
  let blobs: S3BlobStore;
  let archive: Archive;
  const put = (key: string) =>
    client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: Buffer.from(`bytes of ${key}`) }));
  const keys = async (prefix: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? [])
      .map((o) => o.Key!)
      .sort();

  beforeAll(async () => {
    s3 = await startTestS3('ib-sweep-s3');
    dir = mkdtempSync(join(tmpdir(), 'ib-sweep-s3-'));
    client = createS3Client(s3.connection);
    // Two keys a LIST page: the sweep must follow continuation tokens and keep a study's group across pages.
    blobs = new S3BlobStore(createS3Client(s3.connection), { bucket: s3.bucket, prefix: 'site/' }, dir, {
      listPageSize: 2,
    });
    index = new SqliteIndex(join(dir, 'index.sqlite'));
    archive = new Archive(index, blobs, { duplicatePolicy: 'reject', bulkDataThreshold: 1024, minFreeBytes: 0 });
  });
  afterAll(async () => {
    archive?.close();
    client?.destroy();
    rmSync(dir, { recursive: true, force: true });
    await s3?.stop();
  });

  it('removes objects no index row names across listing pages, keeps indexed, young and foreign ones', async () => {
    const sweeper = new OrphanSweeper(index, new SqliteUpkeep(index.db), blobs);
    expect(await sweeper.begin(1000)).toBeUndefined(); // first start: nothing to sweep
    for (const n of [1, 2, 3]) await archive.store(once(ctInstance({ sop: `${ROOT}.7.${n}` })), { source: 't' });
    const folder = studyFolder(`${ROOT}.1`);
    const otherFolder = studyFolder(`${ROOT}.99`);
    // Objects written whose index commit never happened (the crash window), in two studies.
    const orphans = [`site/${folder}/${ROOT}.7.8-dead0001.dcm`, `site/${folder}/${ROOT}.7.9-dead0002.dcm`];
    orphans.push(`site/${otherFolder}/${ROOT}.99.1-dead0003.dcm`);
    for (const k of orphans) await put(k);
    // Not archive objects, or not ours: never touched.
    const foreign = ['site/notes.txt', `site/${folder}/readme.txt`, `other/${folder}/${ROOT}.7.8-dead0001.dcm`];
    for (const k of foreign) await put(k);
    const indexed = (await index.blobKeysOfStudy(`${ROOT}.1`)).size;
    expect(indexed).toBe(3);

    // Right after the writes, everything is younger than the minimum age: nothing goes.
    expect(await sweeper.sweep(1000, Date.now())).toBe(0);
    // The process dies here (no end()); the next start sees an unclean stop.
    const since = await sweeper.begin();
    expect(since).toBe(1000);
    expect(await sweeper.sweep(since!, later())).toBe(3);
    const left = await keys('site/');
    for (const k of orphans) expect(left).not.toContain(k);
    expect(left.filter((k) => k.endsWith('.dcm'))).toHaveLength(3);
    for (const k of foreign.slice(0, 2)) expect(left).toContain(k);
    expect(await keys('other/')).toEqual([foreign[2]]);
    for (const i of await archive.instances({ studyUid: `${ROOT}.1` })) {
      expect((await archive.blobs.read(i.blobKey)).length).toBe(i.size);
    }
    await sweeper.end();
    expect(await sweeper.begin()).toBeUndefined(); // after a clean stop
  });

  it('leaves objects written before the unclean run began', async () => {
    const key = `site/${studyFolder(`${ROOT}.98`)}/${ROOT}.98.1-old00001.dcm`;
    await put(key);
    const sweeper = new OrphanSweeper(index, new SqliteUpkeep(index.db), blobs);
    // The crashed run began an hour from now: this object is older than it (and than the clock-skew allowance).
    expect(await sweeper.sweep(Date.now() + 3_600_000, Date.now() + 3_700_000)).toBe(0);
    expect(await keys('site/')).toContain(key);
    expect(await sweeper.sweep(Date.now() - 60_000, later())).toBe(1);
    expect(await keys('site/')).not.toContain(key);
  });

  it('keeps a suspect whose index commit landed while the sweep waited to confirm', async () => {
    const studyUid = `${ROOT}.97`;
    const late = `${studyFolder(studyUid)}/${ROOT}.97.1-late0001.dcm`;
    const lost = `${studyFolder(studyUid)}/${ROOT}.97.2-lost0001.dcm`;
    await put(`site/${late}`);
    await put(`site/${lost}`);
    // The index names `late` from the second look on: its writer committed during the confirmation wait.
    let looks = 0;
    const racing = {
      blobKeysOfStudy: async (uid: string) => {
        if (uid !== studyUid) return index.blobKeysOfStudy(uid);
        return new Set(looks++ === 0 ? [] : [late]);
      },
    };
    const sweeper = new OrphanSweeper(racing, new SqliteUpkeep(index.db), blobs, { confirmAfterMs: 200 });
    expect(await sweeper.sweep(Date.now() - 60_000, later())).toBe(1);
    expect(looks).toBe(2);
    const left = await keys(`site/${studyFolder(studyUid)}/`);
    expect(left).toEqual([`site/${late}`]);
  });
});
