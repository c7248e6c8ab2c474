import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoalescedSync } from '../../core/coalesced-sync.js';
import { ObjectCipher } from '../../core/encryption/chunked-cipher.js';
import { Keyring, keyIdOf } from '../../core/encryption/keys.js';
import { PackStore } from './pack-store.js';

const note = (sop: string) => ({ sop, source: 'test' });
const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);
const segmentFile = (dir: string, id: number) => join(dir, 'packs', `${String(id).padStart(8, '0')}.pack`);

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

describe('pack store', () => {
  let dir: string;
  let packs: PackStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-pack-'));
    packs = new PackStore(dir, true);
  });
  afterEach(() => {
    packs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads back what was appended, by key, whole, as a range and through random access', async () => {
    const a = bytes(1000, 1);
    const b = Buffer.from('second object, odd length');
    const [ka, kb] = await Promise.all([packs.append(a, note('1.1')), packs.append(b, note('1.2'))]);
    expect(ka).toMatch(/^p\/1\/24\/1000$/);
    expect((await packs.read(ka!)).equals(a)).toBe(true);
    expect((await packs.read(kb!)).equals(b)).toBe(true);
    expect((await drain(packs.stream(kb!, 7, 13))).toString()).toBe('object');
    const open = packs.open(kb!);
    expect(open.read(0, open.size).equals(b)).toBe(true);
  });

  it('appends an object given as the pieces it arrived in: the same record as the joined bytes', async () => {
    const whole = bytes(70_001, 5);
    const pieces = [whole.subarray(0, 3), whole.subarray(3, 65_536), whole.subarray(65_536)];
    const kPieces = await packs.append(pieces, note('1.5'));
    const kWhole = await packs.append(whole, note('1.6'), crc32(whole));
    // A CRC the caller got wrong is written as given: the record then reads as damaged.
    const kWrong = await packs.append(whole, note('1.7'), crc32(whole) ^ 1);
    packs.settle(kWrong);
    expect(kPieces).toBe(`p/1/24/${whole.length}`);
    expect((await packs.read(kPieces)).equals(whole)).toBe(true);
    packs.settle(kPieces);
    packs.settle(kWhole);
    // Listed with intact CRCs (a crash recovery would re-index it), byte for byte.
    const listed = [...packs.recordsFrom({ segment: 0, offset: 0 })];
    expect(listed.map((r) => [r.key, r.note.sop, r.bytes.equals(whole)])).toEqual([
      [kPieces, '1.5', true],
      [kWhole, '1.6', true],
    ]);
  });

  it('lists the live records from a mark on and keeps the mark below unsettled objects', async () => {
    const k1 = await packs.append(bytes(100, 1), note('1.1'));
    expect(packs.lowWater()).toEqual({ segment: 1, offset: 0 }); // k1 is appended, not yet settled
    packs.settle(k1);
    const afterFirst = packs.lowWater();
    const k2 = await packs.append(bytes(200, 2), note('1.2'));
    const k3 = await packs.append(bytes(300, 3), note('1.3'));
    packs.settle(k3);
    // k2 is unsettled: the mark cannot pass it.
    expect(packs.lowWater()).toEqual({ segment: 1, offset: Number(k2.split('/')[2]) - 24 });
    packs.settle(k2);
    expect(packs.lowWater().offset).toBeGreaterThan(Number(k3.split('/')[2]) + 300);
    const from = [...packs.recordsFrom(afterFirst)].map((r) => [r.key, r.note.sop, r.bytes[0]]);
    expect(from).toEqual([
      [k2, '1.2', 2],
      [k3, '1.3', 3],
    ]);
    expect([...packs.recordsFrom({ segment: 0, offset: 0 })]).toHaveLength(3);
  });

  it('erases an object durably: zeros on disk, and no longer listed', async () => {
    const k1 = await packs.append(bytes(5000, 0xab), note('1.1'));
    const k2 = await packs.append(bytes(10, 0xcd), note('1.2'));
    await packs.erase(k1);
    expect((await packs.read(k1)).equals(Buffer.alloc(5000))).toBe(true);
    expect(readFileSync(segmentFile(dir, 1)).includes(bytes(64, 0xab))).toBe(false);
    expect([...packs.recordsFrom({ segment: 0, offset: 0 })].map((r) => r.key)).toEqual([k2]);
  });

  it('after a crash: skips a hole and a torn last record, and appends to a fresh segment of its own', async () => {
    const k1 = await packs.append(bytes(3000, 1), note('1.1'));
    const k2 = await packs.append(bytes(3000, 2), note('1.2'));
    packs.close();
    const file = segmentFile(dir, 1);
    const intact = statSync(file).size;
    // A hole (a reserved stretch never written) followed by a complete record, then a torn one.
    const copy = readFileSync(file);
    const second = copy.subarray(Number(k2.split('/')[2]) - 24, intact);
    appendFileSync(file, Buffer.alloc(64));
    appendFileSync(file, second);
    const torn = Buffer.from(second.subarray(0, second.length - 100));
    appendFileSync(file, torn);
    packs = new PackStore(dir, true);
    // The crashed writer's segment is left as it is (compaction drops the torn tail).
    expect(statSync(file).size).toBe(intact + 64 + second.length + torn.length);
    const listed = [...packs.recordsFrom({ segment: 0, offset: 0 })];
    expect(listed.map((r) => r.note.sop)).toEqual(['1.1', '1.2', '1.2']);
    const k3 = await packs.append(bytes(10, 3), note('1.3'));
    expect(k3).toBe('p/2/24/10');
    expect((await packs.read(k1)).equals(bytes(3000, 1))).toBe(true);
  });

  it('each writer appends to a segment it claimed, and its claim goes when it closes', async () => {
    const k1 = await packs.append(bytes(100, 1), note('1.1'));
    const importer = new PackStore(dir, 'import');
    try {
      const k2 = await importer.append(bytes(100, 2), note('1.2'));
      expect(k1.split('/')[1]).toBe('1');
      expect(k2.split('/')[1]).toBe('2');
      expect(readdirSync(join(dir, 'packs')).sort()).toEqual([
        '00000001.pack',
        '00000001.writer',
        '00000002.pack',
        '00000002.writer',
      ]);
      expect((await packs.read(k2)).equals(bytes(100, 2))).toBe(true);
    } finally {
      importer.close();
    }
    // Claims go with their writer.
    expect(readdirSync(join(dir, 'packs')).filter((n) => n.endsWith('.writer'))).toEqual(['00000001.writer']);
  });

  it('a record whose bytes were damaged is not listed (its CRC does not match)', async () => {
    const k1 = await packs.append(bytes(3000, 1), note('1.1'));
    await packs.append(bytes(3000, 2), note('1.2'));
    packs.close();
    const file = segmentFile(dir, 1);
    const content = readFileSync(file);
    content[Number(k1.split('/')[2]) + 10] = 9;
    writeFileSync(file, content);
    packs = new PackStore(dir, true);
    expect([...packs.recordsFrom({ segment: 0, offset: 0 })].map((r) => r.note.sop)).toEqual(['1.2']);
  });

  it('rolls over to a new segment when one is full, and lists across segments', async () => {
    packs.close();
    packs = new PackStore(dir, true, 4096);
    const keys: string[] = [];
    for (let i = 0; i < 6; i++) keys.push(await packs.append(bytes(1500, i), note(`1.${i}`)));
    expect(readdirSync(join(dir, 'packs')).length).toBeGreaterThan(1);
    expect(new Set(keys.map((k) => k.split('/')[1])).size).toBeGreaterThan(1);
    for (const [i, k] of keys.entries()) expect((await packs.read(k))[0]).toBe(i);
    expect([...packs.recordsFrom({ segment: 0, offset: 0 })].map((r) => r.note.sop)).toEqual(
      keys.map((_, i) => `1.${i}`),
    );
  });

  it('a reader process cannot append and does not touch the segment being written', async () => {
    const k1 = await packs.append(bytes(100, 1), note('1.1'));
    const size = statSync(segmentFile(dir, 1)).size;
    appendFileSync(segmentFile(dir, 1), Buffer.alloc(40, 7)); // an append in progress in the writer
    const reader = new PackStore(dir, false);
    try {
      await expect(reader.append(bytes(1, 1), note('x'))).rejects.toThrow(/does not write/);
      expect(statSync(segmentFile(dir, 1)).size).toBe(size + 40);
      expect((await reader.read(k1)).equals(bytes(100, 1))).toBe(true);
      await reader.erase(k1);
      expect((await packs.read(k1)).equals(Buffer.alloc(100))).toBe(true);
    } finally {
      reader.close();
    }
  });
});

describe('pack store, zeros prepared ahead of the appends', () => {
  let dir: string;
  let packs: PackStore;
  const PREPARE = 64 * 1024;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-pack-prep-'));
    packs = new PackStore(dir, true, undefined, undefined, PREPARE);
  });
  afterEach(() => {
    packs.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const dataEnd = (key: string) => Number(key.split('/')[2]) + Number(key.split('/')[3]);

  it('keeps written zeros ahead of the last record, refilled as appends pass, and cuts them off on close', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 40; i++) {
      keys.push(await packs.append(bytes(5000 + i, i + 1), note(`1.${i}`)));
      const size = statSync(segmentFile(dir, 1)).size;
      // Never less than half the prepared stretch ahead, never more than all of it.
      expect(size - packs.currentBytes).toBeGreaterThanOrEqual(PREPARE / 2);
      expect(size - packs.currentBytes).toBeLessThanOrEqual(PREPARE);
      expect(
        readFileSync(segmentFile(dir, 1))
          .subarray(packs.currentBytes)
          .equals(Buffer.alloc(size - packs.currentBytes)),
      ).toBe(true);
    }
    for (const [i, k] of keys.entries()) expect((await packs.read(k)).equals(bytes(5000 + i, i + 1))).toBe(true);
    expect([...packs.recordsFrom({ segment: 0, offset: 0 })].map((r) => r.note.sop)).toEqual(
      keys.map((_, i) => `1.${i}`),
    );
    const end = packs.currentBytes;
    packs.close();
    expect(statSync(segmentFile(dir, 1)).size).toBe(end);
    packs = new PackStore(dir, false);
    expect(packs.recordsOf(1)).toHaveLength(40);
  });

  it('cuts the zeros off the segment it leaves when it rolls over, and never prepares past the segment size', async () => {
    packs.close();
    packs = new PackStore(dir, true, 40_000, undefined, PREPARE);
    const first = packs.currentSegment!;
    await packs.append(bytes(1000, 1), note('1.1'));
    expect(statSync(segmentFile(dir, first)).size).toBe(40_000);
    const end = packs.currentBytes;
    packs.startNewSegment();
    expect(statSync(segmentFile(dir, first)).size).toBe(end);
    const k = await packs.append(bytes(1000, 2), note('1.2'));
    expect(k.split('/')[1]).toBe(String(first + 1));
    expect(packs.recordsOf(first).map((r) => r.note.sop)).toEqual(['1.1']);
  });

  it('after a crash: a restart cuts the zeros off the crashed segment, exactly after its last record', async () => {
    const k1 = await packs.append(bytes(3000, 1), note('1.1'));
    const k2 = await packs.append(Buffer.concat([bytes(3000, 2), Buffer.alloc(500)]), note('1.2'));
    const end = packs.currentBytes;
    const image = readFileSync(segmentFile(dir, 1));
    expect(image.length).toBeGreaterThan(end + PREPARE / 2);
    packs.close();
    writeFileSync(segmentFile(dir, 1), image);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dir, 'packs', '00000001.writer'), JSON.stringify({ pid: gone, role: 'server' }));
    // A reader does not touch it.
    new PackStore(dir, false).close();
    expect(statSync(segmentFile(dir, 1)).size).toBe(image.length);
    packs = new PackStore(dir, true, undefined, undefined, PREPARE);
    expect(statSync(segmentFile(dir, 1)).size).toBe(end);
    expect([...packs.recordsFrom({ segment: 0, offset: 0 })].map((r) => r.key)).toEqual([k1, k2]);
    expect((await packs.read(k2)).equals(Buffer.concat([bytes(3000, 2), Buffer.alloc(500)]))).toBe(true);
  });

  it('after a crash: the records before the zeros are found, a torn record before them is not, and appends go on in a fresh segment', async () => {
    const k1 = await packs.append(bytes(3000, 1), note('1.1'));
    const k2 = await packs.append(bytes(3000, 2), note('1.2'));
    const end = packs.currentBytes;
    // The crashed writer's file: its records, then the prepared zeros.
    const image = readFileSync(segmentFile(dir, 1));
    expect(image.length).toBeGreaterThan(end);
    expect(image.subarray(end).equals(Buffer.alloc(image.length - end))).toBe(true);
    // A third record torn by the crash, in the zeros: its header and note reached the disk, not all its payload…
    const third = Buffer.concat(await recordOf(bytes(3000, 3), note('1.3')));
    const torn = Buffer.from(third);
    torn.fill(0, 24 + 1000, 24 + 3000);
    torn.copy(image, end);
    // …and a fourth of which only the header did, after a gap of zeros.
    const fourth = Buffer.concat(await recordOf(bytes(3000, 4), note('1.4')));
    fourth.subarray(0, 24).copy(image, end + third.length + 4096);
    packs.close();
    writeFileSync(segmentFile(dir, 1), image);
    // The crashed writer's claim is still there, naming a process that is gone.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dir, 'packs', '00000001.writer'), JSON.stringify({ pid: gone, role: 'server' }));
    packs = new PackStore(dir, true, undefined, undefined, PREPARE);
    const listed = [...packs.recordsFrom({ segment: 0, offset: 0 })];
    expect(listed.map((r) => [r.key, r.note.sop])).toEqual([
      [k1, '1.1'],
      [k2, '1.2'],
    ]);
    // Unchecked (compaction's view of what the index names): the header-only record is not a record.
    expect(packs.recordsOf(1).map((r) => r.note.sop)).toEqual(['1.1', '1.2', '1.3']);
    // The zeros after the last written byte went at the start; the torn records stay (compaction's job).
    expect(statSync(segmentFile(dir, 1)).size).toBe(end + third.length + 4096 + 24);
    const k3 = await packs.append(bytes(10, 5), note('1.5'));
    expect(k3).toBe('p/2/24/10');
    expect((await packs.read(k2)).equals(bytes(3000, 2))).toBe(true);
    expect(dataEnd(k3)).toBeLessThan(statSync(segmentFile(dir, 2)).size);
  });
});

/** The bytes a pack store writes for one record (as the first record of a scratch store). */
async function recordOf(payload: Buffer, n: { sop: string; source: string }): Promise<Buffer[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'ib-pack-rec-'));
  const p = new PackStore(scratch, true, undefined, undefined, 0);
  try {
    const key = await p.append(payload, n);
    p.close();
    const all = readFileSync(segmentFile(scratch, 1));
    expect(Number(key.split('/')[2])).toBe(24);
    return [all];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

describe('coalesced sync', () => {
  it('callers that ask while a sync runs share the next one; each waits for a sync that started after it asked', async () => {
    let started = 0;
    let release: (() => void) | undefined;
    const sync = new CoalescedSync(
      () =>
        new Promise<void>((resolve) => {
          started++;
          release = resolve;
        }),
    );
    const first = sync.sync();
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(1);
    const waiting = Array.from({ length: 10 }, () => sync.sync());
    let done = 0;
    for (const w of waiting) void w.then(() => done++);
    release!();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(0); // their sync started after the first finished
    expect(started).toBe(2);
    release!();
    await Promise.all(waiting);
    expect(started).toBe(2);
  });
});

describe('pack store, encrypted', () => {
  const secret = Buffer.alloc(32, 7);
  const cipher = new ObjectCipher(new Keyring([{ id: keyIdOf(secret), bytes: secret }]));
  let dir: string;
  let packs: PackStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-pack-enc-'));
    packs = new PackStore(dir, true, undefined, cipher);
  });
  afterEach(() => {
    packs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps payloads and notes sealed on disk and reads them back, whole, as ranges and after a restart', async () => {
    const payload = Buffer.concat([Buffer.from('PATIENT^UNMISTAKABLE'), Buffer.alloc(200_000, 9), Buffer.from('TAIL')]);
    const key = await packs.append([payload.subarray(0, 1000), payload.subarray(1000)], note('1.2.840.99999.424242'));
    packs.settle(key);
    const disk = readFileSync(segmentFile(dir, 1));
    expect(disk.includes('UNMISTAKABLE')).toBe(false);
    expect(disk.includes('1.2.840.99999.424242')).toBe(false);
    expect((await packs.read(key)).equals(payload)).toBe(true);
    expect((await drain(packs.stream(key, 65_530, 131_080))).equals(payload.subarray(65_530, 131_080))).toBe(true);
    expect(
      packs
        .open(key)
        .read(payload.length - 4, 4)
        .toString(),
    ).toBe('TAIL');
    packs.close();
    packs = new PackStore(dir, true, undefined, cipher);
    const [again] = [...packs.recordsFrom({ segment: 0, offset: 0 })];
    expect(again?.note.sop).toBe('1.2.840.99999.424242');
    expect(again?.bytes.equals(payload)).toBe(true);
  });

  it('after a crash: a restart never cuts into a sealed record that ends in zero bytes (its GCM tag may)', async () => {
    packs.close();
    packs = new PackStore(dir, true, undefined, cipher, 64 * 1024);
    const id = packs.currentSegment!;
    await packs.append(Buffer.alloc(3000, 1), note('1.1'));
    await packs.append(Buffer.alloc(3000, 2), note('1.2'));
    const [, last] = packs.recordsOf(id);
    const image = readFileSync(segmentFile(dir, id));
    // Where the last record's data ends (its sealed note's tag), before the alignment zeros.
    const dataEnd = last!.dataOffset + last!.size + image.readUInt32LE(last!.start + 8);
    expect(image.length).toBeGreaterThan(dataEnd + 32 * 1024);
    // A tag whose last 12 bytes are zero, as one in 2^96 are: the record's bytes end in zeros.
    image.fill(0, dataEnd - 12, dataEnd);
    packs.close();
    writeFileSync(segmentFile(dir, id), image);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(
      join(dir, 'packs', `${String(id).padStart(8, '0')}.writer`),
      JSON.stringify({ pid: gone, role: 'server' }),
    );
    packs = new PackStore(dir, true, undefined, cipher, 64 * 1024);
    const kept = readFileSync(segmentFile(dir, id));
    // The prepared zeros went, the record's bytes did not.
    expect(kept.length).toBeGreaterThanOrEqual(dataEnd);
    expect(kept.length).toBeLessThan(dataEnd + 32);
    expect(kept.equals(image.subarray(0, kept.length))).toBe(true);
  });

  it('refuses an altered byte of a stored object', async () => {
    const key = await packs.append(Buffer.alloc(100_000, 3), note('1.1'));
    packs.close();
    const at = Number(key.split('/')[2]) + 70_000;
    const file = segmentFile(dir, 1);
    const disk = readFileSync(file);
    disk[at]! ^= 0x40;
    writeFileSync(file, disk);
    packs = new PackStore(dir, false, undefined, cipher);
    await expect(packs.read(key)).rejects.toThrow(/failed authentication/);
    expect(() => packs.open(key).read(69_000, 2000)).toThrow(/failed authentication/);
    expect(packs.open(key).read(0, 1000).equals(Buffer.alloc(1000, 3))).toBe(true);
  });
});

describe('pack store, several objects at once (readMany)', () => {
  const secret = Buffer.alloc(32, 5);
  const cipher = new ObjectCipher(new Keyring([{ id: keyIdOf(secret), bytes: secret }]));
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const encrypted of [false, true]) {
    it(`gives each object's bytes, in the order asked, across runs, gaps and segments${encrypted ? ' (encrypted)' : ''}`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'ib-pack-many-'));
      // Small segments: the objects spread over several of them.
      const packs = new PackStore(dir, true, 5000, encrypted ? cipher : undefined);
      try {
        const payloads = Array.from({ length: 12 }, (_, k) => bytes(301 + k * 97, k + 1));
        const keys: string[] = [];
        for (const [k, p] of payloads.entries()) keys.push(await packs.append(p, note(`1.${k}`)));
        expect(new Set(keys.map((k) => k.split('/')[1])).size).toBeGreaterThan(1);
        const orders = [
          keys.map((_, k) => k), // runs of neighbours
          keys.map((_, k) => keys.length - 1 - k), // backwards: no runs
          [0, 2, 4, 1, 3, 5, 11, 10, 6, 7, 8, 9], // skips and jumps
          [3, 3], // the same object twice
        ];
        for (const order of orders) {
          const got = await packs.readMany(order.map((k) => keys[k]!));
          expect(got.map((b) => b.toString('hex'))).toEqual(order.map((k) => payloads[k]!.toString('hex')));
        }
        expect(await packs.readMany([])).toEqual([]);
      } finally {
        packs.close();
      }
    });
  }

  it('reads neighbours into the buffers it is given, one readv past the system’s limit of buffers, nothing written around them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-pack-into-'));
    const packs = new PackStore(dir, true);
    try {
      // 1500 neighbouring records: one run, more buffers than one readv takes (IOV_MAX 1024).
      const payloads = Array.from({ length: 1500 }, (_, k) => bytes(5 + (k % 13), k + 1));
      const keys: string[] = [];
      for (const [k, p] of payloads.entries()) keys.push(await packs.append(p, note(`1.${k}`)));
      const arena = Buffer.alloc(64 * 1024, 0xee);
      let used = 0;
      const given: Buffer[] = [];
      const got = await packs.readMany(keys, (n) => {
        used += 3 + n; // 3 bytes of 0xee left in front of each
        const b = arena.subarray(used - n, used);
        given.push(b);
        return b;
      });
      expect(got.map((b) => b.toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')));
      expect(got.every((b, k) => b === given[k])).toBe(true);
      for (const b of given) expect(arena.subarray(b.byteOffset - 3, b.byteOffset).toString('hex')).toBe('eeeeee');
      expect(arena.subarray(used).every((x) => x === 0xee)).toBe(true);
      // Where `into` gives no buffer, the object gets one of its own.
      let calls = 0;
      const mixed = await packs.readMany(keys.slice(0, 4), (n) => (calls++ % 2 === 0 ? Buffer.alloc(n) : undefined));
      expect(mixed.map((b) => b.toString('hex'))).toEqual(payloads.slice(0, 4).map((p) => p.toString('hex')));
    } finally {
      packs.close();
    }
  });
});
