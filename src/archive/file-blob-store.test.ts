import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileBlobStore } from './file-blob-store.js';

describe('file blob store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-blobs-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes temp files of crashed writers at start-up and keeps those of live processes', () => {
    new FileBlobStore(dir);
    writeFileSync(join(dir, 'tmp', '999999999-abc.part'), 'cut short by a crash');
    writeFileSync(join(dir, 'tmp', 'no-pid.part'), 'old naming');
    writeFileSync(join(dir, 'tmp', `${process.pid}-live.part`), 'still being written');
    new FileBlobStore(dir);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([`${process.pid}-live.part`]);
  });

  it('makes a sealed blob visible under its key only after commit', async () => {
    const store = new FileBlobStore(dir);
    const w = await store.create();
    await w.writev([Buffer.from('hello '), Buffer.from('world')]);
    const sealed = await w.seal();
    expect(sealed.size).toBe(11);
    await expect(store.read('1.2/3.dcm')).rejects.toThrow();
    await sealed.commit({ key: '1.2/3.dcm', sopUid: '1.2.3', source: 'test' });
    expect((await store.read('1.2/3.dcm')).toString()).toBe('hello world');
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });
});
