import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveBlobStore } from '../archive/archive-blob-store.js';
import { ObjectCipher } from '../core/encryption/chunked-cipher.js';
import { Keyring, keyIdOf } from '../core/encryption/keys.js';
import { RetrieveBuffers } from './retrieve-buffers.js';
import { LEAD_ROOM_BYTES, ReadAhead } from './retrieve-read-ahead.js';

async function put(store: ArchiveBlobStore, bytes: Buffer, sopUid: string): Promise<string> {
  const w = await store.create();
  await w.writev([bytes]);
  const sealed = await w.seal();
  return (await sealed.commit({ key: `s/1/${sopUid}`, sopUid, source: 'test' })).key;
}

describe('read-ahead of a retrieve', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-read-ahead-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const secret = Buffer.alloc(32, 3);
  const cipher = new ObjectCipher(new Keyring([{ id: keyIdOf(secret), bytes: secret }]));
  for (const encrypted of [false, true]) {
    it(`hands out every object's bytes in order, packs and files mixed, skipping the ones not read ahead${encrypted ? ' (encrypted)' : ''}`, async () => {
      // Objects above 3,000 bytes go to files of their own.
      const store = new ArchiveBlobStore(dir, {
        packWriter: true,
        packLimit: 3000,
        cipher: encrypted ? cipher : undefined,
      });
      try {
        const payloads = Array.from({ length: 20 }, (_, k) =>
          Buffer.alloc(k % 5 === 4 ? 5000 + k : 1000 + k * 11, k + 1),
        );
        const keys: string[] = [];
        for (const [k, p] of payloads.entries()) keys.push(await put(store, p, `1.2.${k}`));
        const items = keys.map((key, k) => (k % 7 === 6 ? undefined : { key, size: payloads[k]!.length }));
        const ahead = new ReadAhead(store, items, { aheadBytes: 4000, batchBytes: 2500 });
        for (const [k, item] of items.entries()) {
          const p = ahead.take(k);
          if (!item) {
            expect(p).toBeUndefined();
            continue;
          }
          expect((await p!).equals(payloads[k]!)).toBe(true);
          // Never more than the window plus one batch is read ahead.
          expect(ahead.bytesAhead).toBeLessThanOrEqual(4000 + 2500 + 5100);
        }
      } finally {
        store.close?.();
      }
    });
  }

  it('fails only the object deleted since the index was read, with ENOENT', async () => {
    const store = new ArchiveBlobStore(dir, { packWriter: true, packLimit: 3000 });
    try {
      const payloads = [Buffer.alloc(5000, 1), Buffer.alloc(6000, 2), Buffer.alloc(7000, 3)];
      const keys: string[] = [];
      for (const [k, p] of payloads.entries()) keys.push(await put(store, p, `1.3.${k}`));
      await store.remove(keys[1]!);
      const ahead = new ReadAhead(
        store,
        keys.map((key, k) => ({ key, size: payloads[k]!.length })),
      );
      expect((await ahead.take(0))!.equals(payloads[0]!)).toBe(true);
      await expect(ahead.take(1)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await ahead.take(2))!.equals(payloads[2]!)).toBe(true);
    } finally {
      store.close?.();
    }
  });

  it('reads pack records into the retrieve’s slabs and refills one only after its last object was sent', async () => {
    const store = new ArchiveBlobStore(dir, { packWriter: true });
    try {
      const payloads = Array.from({ length: 12 }, (_, k) => Buffer.alloc(1000 + k, k + 1));
      const keys: string[] = [];
      for (const [k, p] of payloads.entries()) keys.push(await put(store, p, `1.4.${k}`));
      let held = 0;
      const buffers = new RetrieveBuffers(4096, 2);
      buffers.trackedBy({ held: () => held });
      const ahead = new ReadAhead(
        store,
        keys.map((key, k) => ({ key, size: payloads[k]!.length })),
        { aheadBytes: 2000, batchBytes: 2000 },
        buffers,
      );
      const slabs = new Set<ArrayBuffer>();
      let fromSlabs = 0;
      let previous: { bytes: Buffer; k: number } | undefined;
      for (const [k, p] of payloads.entries()) {
        const bytes = (await ahead.take(k))!;
        expect(bytes.equals(p)).toBe(true);
        // The one still queued was not overwritten by this read.
        if (previous) expect(previous.bytes.equals(payloads[previous.k]!)).toBe(true);
        if (bytes.buffer.byteLength === 4096) {
          slabs.add(bytes.buffer as ArrayBuffer);
          fromSlabs++;
          // Room in front of it that is no other object's: a writer may fill it.
          expect(ahead.roomBefore(bytes)).toBe(LEAD_ROOM_BYTES);
          Buffer.from(bytes.buffer, bytes.byteOffset - LEAD_ROOM_BYTES, LEAD_ROOM_BYTES).fill(0xaa);
          expect(bytes.equals(p)).toBe(true);
          if (previous) expect(previous.bytes.equals(payloads[previous.k]!)).toBe(true);
        } else expect(ahead.roomBefore(bytes)).toBe(0);
        // The consumer keeps the last object queued until the next one is yielded.
        held = bytes.length;
        ahead.sent(k, buffers.yieldedBytes(bytes.length));
        previous = { bytes, k };
      }
      // At most two slabs, refilled: more objects came from them than they hold at once.
      expect(slabs.size).toBeLessThanOrEqual(2);
      expect(fromSlabs).toBeGreaterThan(4);
    } finally {
      store.close?.();
    }
  });
});
