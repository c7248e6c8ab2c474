import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectCipher } from '../core/encryption/chunked-cipher.js';
import { Keyring, keyIdOf } from '../core/encryption/keys.js';
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

describe('file blob store, encrypted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-blobs-enc-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const secret = Buffer.alloc(32, 5);
  const cipher = new ObjectCipher(new Keyring([{ id: keyIdOf(secret), bytes: secret }]));
  const drain = async (s: NodeJS.ReadableStream) => {
    const parts: Buffer[] = [];
    for await (const c of s as AsyncIterable<Buffer>) parts.push(c);
    return Buffer.concat(parts);
  };

  it('writes sealed chunks as the object streams in (temp file included) and reads back ranges', async () => {
    const store = new FileBlobStore(dir, cipher);
    const plain = Buffer.concat([Buffer.from('DOE^UNMISTAKABLE'), Buffer.alloc(300_000, 1), Buffer.from('END')]);
    const w = await store.create();
    for (let at = 0; at < plain.length; at += 50_000) await w.writev([plain.subarray(at, at + 50_000)]);
    const sealed = await w.seal();
    expect(sealed.size).toBe(plain.length);
    const [temp] = readdirSync(join(dir, 'tmp'));
    expect(readFileSync(join(dir, 'tmp', temp!)).includes('UNMISTAKABLE')).toBe(false);
    expect(
      sealed
        .source()
        .read(plain.length - 3, 3)
        .toString(),
    ).toBe('END');
    await sealed.commit({ key: '1.2/3.dcm', sopUid: '1.2.3', source: 'test' });
    expect(readFileSync(join(dir, 'blobs', '1.2/3.dcm')).includes('UNMISTAKABLE')).toBe(false);
    expect((await store.read('1.2/3.dcm')).equals(plain)).toBe(true);
    expect((await drain(store.stream('1.2/3.dcm', 65_000, 200_000))).equals(plain.subarray(65_000, 200_000))).toBe(
      true,
    );
    const open = await store.open('1.2/3.dcm');
    expect(open.size).toBe(plain.length);
    expect((await open.read(65_530, 20)).equals(plain.subarray(65_530, 65_550))).toBe(true);
    await open.close();
  });

  it('refuses a truncated object', async () => {
    const store = new FileBlobStore(dir, cipher);
    const w = await store.create();
    await w.writev([Buffer.alloc(200_000, 2)]);
    await (await w.seal()).commit({ key: '1.2/4.dcm', sopUid: '1.2.4', source: 'test' });
    truncateSync(join(dir, 'blobs', '1.2/4.dcm'), 32 + 2 * (65_536 + 16));
    await expect(store.read('1.2/4.dcm')).rejects.toThrow(/failed authentication/);
    await expect(drain(store.stream('1.2/4.dcm'))).rejects.toThrow(/failed authentication/);
  });
});
