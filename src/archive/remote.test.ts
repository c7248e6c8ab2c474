import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../dicom/test-support.js';
import type { DicomJson } from '../dicom/types.js';
import { Archive } from './archive.js';
import { FileBlobStore } from './file-blob-store.js';
import { RemoteFetchError, isRemoteKey, localBulkReferences } from './remote.js';
import { SqliteIndex } from './sqlite/sqlite-index.js';

const STUDY = `${ROOT}.90`;
const SERIES = `${STUDY}.1`;

function remoteJson(sop: string): DicomJson {
  return {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    '00080018': { vr: 'UI', Value: [sop] },
    '00080060': { vr: 'CS', Value: ['CT'] },
    '00100020': { vr: 'LO', Value: ['REMOTE-1'] },
    '0020000D': { vr: 'UI', Value: [STUDY] },
    '0020000E': { vr: 'UI', Value: [SERIES] },
    '7FE00010': { vr: 'OW', BulkDataURI: 'http://pacs.example/dicom-web/studies/x/bulk/7fe00010' },
  };
}

async function* chunks(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

const blobs = (dir: string) =>
  readdirSync(join(dir, 'blobs'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;

describe('instances held by a remote source', () => {
  let dir: string;
  let archive: Archive;
  let index: SqliteIndex;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-remote-'));
    index = new SqliteIndex(join(dir, 'index.sqlite'));
    archive = new Archive(index, new FileBlobStore(dir), {
      duplicatePolicy: 'reject',
      bulkDataThreshold: 1024,
      minFreeBytes: 0,
    });
  });
  afterEach(async () => {
    await archive.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are indexed without bytes, with study aggregates and our own bulk data references', async () => {
    expect((await archive.indexRemote(remoteJson(`${SERIES}.1`), { source: 'pacs' })).kind).toBe('stored');
    expect((await archive.indexRemote(remoteJson(`${SERIES}.1`), { source: 'pacs' })).kind).toBe('duplicate');
    const [i] = await archive.instances({ studyUid: STUDY });
    expect(isRemoteKey(i!.blobKey)).toBe(true);
    expect(index.db.prepare('SELECT num_instances AS n FROM studies WHERE study_uid = ?').get(STUDY)).toEqual({
      n: 1,
    });
    const [meta] = await archive.metadata({ studyUid: STUDY });
    expect(meta!.metadata).toContain('"BulkDataURI":"\u00017FE00010"');
    expect(blobs(dir)).toBe(0);
  });

  it('are replaced by the bytes when they arrive, without a new version', async () => {
    await archive.indexRemote(remoteJson(`${SERIES}.1`), { source: 'pacs' });
    const outcome = await archive.store(chunks(ctInstance({ study: STUDY, series: SERIES, sop: `${SERIES}.1` })), {
      source: 'source:pacs',
    });
    expect(outcome.kind).toBe('stored');
    const [i] = await archive.instances({ studyUid: STUDY });
    expect(isRemoteKey(i!.blobKey)).toBe(false);
    expect(index.db.prepare('SELECT count(*) AS n FROM instance_versions').get()).toEqual({ n: 0 });
  });

  it('never replace a local copy', async () => {
    await archive.store(chunks(ctInstance({ study: STUDY, series: SERIES, sop: `${SERIES}.1` })), { source: 'stow' });
    expect((await archive.indexRemote(remoteJson(`${SERIES}.1`), { source: 'pacs' })).kind).toBe('duplicate');
    expect(isRemoteKey((await archive.instances({ studyUid: STUDY }))[0]!.blobKey)).toBe(false);
  });

  it('are materialized through the fetcher of their source', async () => {
    await archive.indexRemote(remoteJson(`${SERIES}.1`), { source: 'pacs' });
    const asked: string[] = [];
    archive.setRemoteFetcher('pacs', async (instances) => {
      for (const i of instances) {
        asked.push(i.sopUid);
        await archive.store(chunks(ctInstance({ study: STUDY, series: SERIES, sop: i.sopUid })), {
          source: 'source:pacs',
        });
      }
    });
    await archive.materialize({ studyUid: STUDY });
    await archive.materialize({ studyUid: STUDY }); // nothing left to fetch
    expect(asked).toEqual([`${SERIES}.1`]);
    expect(blobs(dir)).toBe(1);
  });

  it('fail to materialize with RemoteFetchError when the source is unknown or delivers nothing', async () => {
    await archive.indexRemote(remoteJson(`${SERIES}.1`), { source: 'gone' });
    await expect(archive.materialize({ studyUid: STUDY })).rejects.toThrow(RemoteFetchError);
    archive.setRemoteFetcher('gone', async () => undefined);
    await expect(archive.materialize({ studyUid: STUDY })).rejects.toThrow(/did not deliver 1 of 1/);
  });

  it('are deleted from the index without touching any file', async () => {
    await archive.indexRemote(remoteJson(`${SERIES}.1`), { source: 'pacs' });
    expect(await archive.delete({ studyUid: STUDY }, 'test')).toBe(1);
    expect(await archive.instances({ studyUid: STUDY })).toEqual([]);
  });
});

describe('localBulkReferences', () => {
  it('turns remote BulkDataURIs, nested ones too, into our relative paths and keeps inline values', () => {
    const out = localBulkReferences({
      '00540016': { vr: 'SQ', Value: [{ '00181072': { vr: 'OB', BulkDataURI: 'http://x/1' } }] },
      '00091010': { vr: 'OB', InlineBinary: 'AAE=' },
    });
    expect(out['00540016']!.Value![0]).toEqual({ '00181072': { vr: 'OB', BulkDataURI: '\u000100540016/0/00181072' } });
    expect(out['00091010']).toEqual({ vr: 'OB', InlineBinary: 'AAE=' });
  });
});
