import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CT_IMAGE_STORAGE as CT, ROOT, ctInstance } from '../dicom/test-support.js';
import { StoreError } from '../core/errors.js';
import { DicomStatus } from '../core/dicom-status.js';
import { Archive } from './archive.js';
import { FileBlobStore } from './file-blob-store.js';
import { SqliteIndex } from './sqlite/sqlite-index.js';

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  // Small chunks: the File Meta and dataset arrive split, as they do from the network.
  for (let i = 0; i < buf.length; i += 100) yield buf.subarray(i, i + 100);
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('archive ingest', () => {
  let dir: string;
  let archive: Archive;
  let index: SqliteIndex;
  const open = (policy: 'reject' | 'keep-newest' = 'reject') => {
    index = new SqliteIndex(join(dir, 'index.sqlite'));
    return new Archive(index, new FileBlobStore(dir), {
      duplicatePolicy: policy,
      bulkDataThreshold: 1024,
      minFreeBytes: 0,
    });
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-archive-'));
    archive = open();
  });
  afterEach(async () => {
    await archive.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the bytes exactly as received and indexes the instance', async () => {
    const file = ctInstance({ sop: `${ROOT}.1.1` });
    const outcome = await archive.store(once(file), { source: 'test' });
    expect(outcome.kind).toBe('stored');
    const [stored] = await archive.instances({ studyUid: `${ROOT}.1` });
    expect(stored).toMatchObject({
      sopUid: `${ROOT}.1.1`,
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      size: file.length,
    });
    expect(readFileSync(join(dir, 'blobs', stored!.blobKey)).equals(file)).toBe(true);
    expect(files(join(dir, 'tmp'))).toEqual([]);
  });

  it('acknowledges a store only after the WAL sync of its index commit; a failed sync fails the store but keeps its bytes and record', async () => {
    const order: string[] = [];
    // The WAL sync of a grouped commit, made to fail once.
    const walSync = index as unknown as { syncWal(): Promise<void> };
    const syncWal = walSync.syncWal.bind(index);
    let fail = true;
    walSync.syncWal = async () => {
      order.push('sync');
      if (fail) {
        fail = false;
        throw new Error('EIO');
      }
      return syncWal();
    };
    expect(index.db.pragma('synchronous', { simple: true })).toBe(2);
    const file = ctInstance({ sop: `${ROOT}.1.9` });
    const failed = await archive.store(once(file), { source: 'test' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StoreError);
    expect((failed as StoreError).status).toBe(DicomStatus.OutOfResources);
    // Committed before the sync failed: the record and its bytes are both there (never one without the other).
    const [kept] = await archive.instances({ studyUid: `${ROOT}.1` });
    expect(readFileSync(join(dir, 'blobs', kept!.blobKey)).equals(file)).toBe(true);
    // The sender's retry finds it: a duplicate, answered as success.
    const again = await archive.store(once(file), { source: 'test' }).then((o) => {
      order.push('ack');
      return o;
    });
    expect(again.kind).toBe('duplicate');
    const other = await archive.store(once(ctInstance({ sop: `${ROOT}.1.10` })), { source: 'test' }).then((o) => {
      order.push('ack');
      return o;
    });
    expect(other.kind).toBe('stored');
    expect(order).toEqual(['sync', 'ack', 'sync', 'ack']);
    // The connection itself stays at FULL for every other transaction.
    expect(index.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('keeps study and series aggregates current', async () => {
    for (let i = 1; i <= 3; i++)
      await archive.store(
        once(ctInstance({ series: `${ROOT}.2.${i % 2}`, sop: `${ROOT}.3.${i}`, modality: i === 2 ? 'MR' : 'CT' })),
        { source: 't' },
      );
    const row = index.db.prepare('SELECT num_series, num_instances, modalities FROM studies').get();
    expect(row).toEqual({ num_series: 2, num_instances: 3, modalities: 'CT\\MR' });
  });

  it('answers the same instance again as a duplicate and stores nothing new', async () => {
    const file = ctInstance({ sop: `${ROOT}.1.2` });
    await archive.store(once(file), { source: 't' });
    const again = await archive.store(once(file), { source: 't' });
    expect(again.kind).toBe('duplicate');
    expect(files(join(dir, 'blobs'))).toHaveLength(1);
  });

  it('refuses different content under the same SOP Instance UID with 0x0111 by default', async () => {
    await archive.store(once(ctInstance({ sop: `${ROOT}.1.3` })), { source: 't' });
    const err = await archive
      .store(once(ctInstance({ sop: `${ROOT}.1.3`, description: 'other' })), { source: 't' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.status).toBe(DicomStatus.DuplicateSopInstance);
    expect(err.sop.instanceUid).toBe(`${ROOT}.1.3`);
    expect(files(join(dir, 'blobs'))).toHaveLength(1);
  });

  it('keeps the newest as a new version on record when configured to', async () => {
    await archive.close();
    archive = open('keep-newest');
    await archive.store(once(ctInstance({ sop: `${ROOT}.1.4` })), { source: 't' });
    const second = await archive.store(once(ctInstance({ sop: `${ROOT}.1.4`, description: 'v2' })), {
      source: 'other',
    });
    expect(second).toMatchObject({ kind: 'new-version', version: 2 });
    const versions = index.db.prepare('SELECT version, source FROM instance_versions').all();
    expect(versions).toEqual([{ version: 1, source: 'other' }]);
    expect(await archive.instances({ studyUid: `${ROOT}.1` })).toHaveLength(1);
  });

  it('refuses a study mismatch with 0xA900 and unreadable bytes with 0xC000, leaving no file behind', async () => {
    const mismatch = await archive
      .store(once(ctInstance({ sop: `${ROOT}.1.5` })), { source: 't', expectedStudyUid: '1.2.3' })
      .catch((e) => e);
    expect(mismatch.status).toBe(DicomStatus.DataSetDoesNotMatchSopClass);
    const junk = await archive.store(once(Buffer.from('hello world, not DICOM')), { source: 't' }).catch((e) => e);
    expect(junk.status).toBe(DicomStatus.CannotUnderstand);
    expect(files(dir).filter((f) => !f.includes('index.sqlite'))).toEqual([]);
  });

  it("stores an object whose File Meta names another SOP class and instance under the data set's UIDs, with 0xB007 and notes", async () => {
    const file = Buffer.from(ctInstance({ sop: `${ROOT}.1.6` }));
    const ct = Buffer.from('1.2.840.10008.5.1.4.1.1.2\0');
    file.set(Buffer.from('1.2.840.10008.5.1.4.1.1.4\0'), file.indexOf(ct)); // first occurrence: (0002,0002)
    const sop = Buffer.from(`${ROOT}.1.6`);
    file.set(Buffer.from(`${ROOT}.1.7`), file.indexOf(sop)); // first occurrence: (0002,0003)
    const outcome = await archive.store(once(file), { source: 'MODALITY' });
    expect(outcome).toMatchObject({ kind: 'stored', record: { sopUid: `${ROOT}.1.6`, sopClassUid: CT } });
    expect(outcome.warning?.status).toBe(DicomStatus.DataSetDoesNotMatchSopClassWarning);
    expect(outcome.warning?.message).toContain('MediaStorageSOPClassUID (0002,0002) 1.2.840.10008.5.1.4.1.1.4');
    expect(outcome.warning?.message).toContain(`MediaStorageSOPInstanceUID (0002,0003) ${ROOT}.1.7`);
    const [stored] = await archive.instances({ studyUid: `${ROOT}.1` });
    expect(readFileSync(join(dir, 'blobs', stored!.blobKey)).equals(file)).toBe(true); // kept as received
    const notes = () => index.db.prepare('SELECT sop_uid, tag, original, corrected, source FROM ingest_notes').all();
    expect(notes()).toEqual([
      {
        sop_uid: `${ROOT}.1.6`,
        tag: '00020002',
        original: '1.2.840.10008.5.1.4.1.1.4',
        corrected: CT,
        source: 'MODALITY',
      },
      {
        sop_uid: `${ROOT}.1.6`,
        tag: '00020003',
        original: `${ROOT}.1.7`,
        corrected: `${ROOT}.1.6`,
        source: 'MODALITY',
      },
    ]);
    // The same data set again: a duplicate, answered with the same warning; deleting it drops its notes.
    expect(await archive.store(once(file), { source: 'MODALITY' })).toMatchObject({
      kind: 'duplicate',
      warning: { status: DicomStatus.DataSetDoesNotMatchSopClassWarning },
    });
    await archive.delete({ studyUid: `${ROOT}.1` }, 'tester');
    expect(notes()).toEqual([]);
  });

  it('answers only an instance UID that differs from the File Meta with 0xB000, naming the C-STORE command when it wrote the meta', async () => {
    const file = Buffer.from(ctInstance({ sop: `${ROOT}.1.8` }));
    file.set(Buffer.from(`${ROOT}.1.9`), file.indexOf(Buffer.from(`${ROOT}.1.8`)));
    const outcome = await archive.store(once(file), { source: 'SCU', fileMetaFrom: 'command' });
    expect(outcome.record.sopUid).toBe(`${ROOT}.1.8`);
    expect(outcome.warning?.status).toBe(DicomStatus.CoercionOfDataElements);
    expect(outcome.warning?.message).toContain('Affected SOP Instance UID of the C-STORE-RQ');
  });

  it('stores a consistent object without a warning or a note', async () => {
    const outcome = await archive.store(once(ctInstance({ sop: `${ROOT}.1.10` })), { source: 't' });
    expect(outcome.warning).toBeUndefined();
    expect(index.db.prepare('SELECT count(*) AS n FROM ingest_notes').get()).toEqual({ n: 0 });
  });

  it('stores concurrent uploads of one study with one group commit each batch, all acknowledged', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => archive.store(once(ctInstance({ sop: `${ROOT}.4.${i}` })), { source: 't' })),
    );
    expect(outcomes.every((o) => o.kind === 'stored')).toBe(true);
    expect((await archive.check()).instances).toBe(40);
  });

  it('deletes a series, records it, and removes its files', async () => {
    await archive.store(once(ctInstance({ sop: `${ROOT}.5.1` })), { source: 't' });
    const n = await archive.delete({ studyUid: `${ROOT}.1`, seriesUid: `${ROOT}.2` }, 'tester', 'cleanup');
    expect(n).toBe(1);
    expect(index.db.prepare('SELECT level, actor, instances FROM deletions').all()).toEqual([
      { level: 'series', actor: 'tester', instances: 1 },
    ]);
    expect(index.db.prepare('SELECT count(*) AS n FROM studies').get()).toEqual({ n: 0 });
    expect(files(join(dir, 'blobs'))).toEqual([]);
  });
});
