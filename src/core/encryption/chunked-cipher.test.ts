import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_BYTES,
  HEADER_BYTES,
  ObjectCipher,
  SealedObjectError,
  plainSizeOf,
  sealedSizeOf,
} from './chunked-cipher.js';
import { Keyring, keyIdOf } from './keys.js';

const key = (b: Buffer = randomBytes(32)) => ({ id: keyIdOf(b), bytes: b });
const cipher = new ObjectCipher(new Keyring([key()]));
const SEALED_CHUNK = CHUNK_BYTES + 16;

const sourceOf = (c: ObjectCipher, sealed: Buffer) => c.source((o, l) => sealed.subarray(o, o + l), sealed.length);
async function streamed(c: ObjectCipher, sealed: Buffer, start?: number, end?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of c.stream(async (o, l) => sealed.subarray(o, o + l), sealed.length, start, end)) parts.push(p);
  return Buffer.concat(parts);
}

describe('chunked AES-256-GCM objects', () => {
  it('round-trips objects of every size class, written whole or streamed in odd pieces', () => {
    for (const size of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES, 3 * CHUNK_BYTES + 17]) {
      const plain = randomBytes(size);
      const whole = cipher.seal(plain);
      expect(whole.length).toBe(sealedSizeOf(size));
      expect(plainSizeOf(whole.length)).toBe(size);
      expect(cipher.open(whole).equals(plain)).toBe(true);
      const w = cipher.writer();
      const out: Buffer[] = [];
      for (let at = 0; at < size; at += 7777) out.push(...w.push([plain.subarray(at, at + 7777)]));
      out.push(...w.finish());
      expect(cipher.open(Buffer.concat(out)).equals(plain)).toBe(true);
    }
  });

  it('hides the plaintext and uses a fresh object key each time', () => {
    const plain = Buffer.from('DOE^UNMISTAKABLE '.repeat(100));
    const a = cipher.seal(plain);
    const b = cipher.seal(plain);
    expect(a.includes(Buffer.from('UNMISTAKABLE'))).toBe(false);
    expect(a.subarray(HEADER_BYTES).equals(b.subarray(HEADER_BYTES))).toBe(false);
  });

  it('reads ranges across chunk boundaries, opening only what they touch', () => {
    const plain = randomBytes(5 * CHUNK_BYTES + 123);
    const sealed = cipher.seal(plain);
    const src = sourceOf(cipher, sealed);
    expect(src.size).toBe(plain.length);
    for (const [o, l] of [
      [0, 10],
      [CHUNK_BYTES - 5, 10],
      [CHUNK_BYTES - 1, 2 * CHUNK_BYTES + 2],
      [5 * CHUNK_BYTES, 123],
      [plain.length - 1, 1],
      [7, 0],
    ] as const) {
      expect(src.read(o, l).equals(plain.subarray(o, o + l))).toBe(true);
    }
    expect(() => src.read(plain.length - 1, 2)).toThrow(SealedObjectError);
  });

  it('streams byte ranges across chunk boundaries', async () => {
    const plain = randomBytes(40 * CHUNK_BYTES + 999);
    const sealed = cipher.seal(plain);
    expect((await streamed(cipher, sealed)).equals(plain)).toBe(true);
    for (const [s, e] of [
      [0, 1],
      [CHUNK_BYTES - 3, CHUNK_BYTES + 3],
      [17 * CHUNK_BYTES - 1, 33 * CHUNK_BYTES + 1],
      [plain.length - 10, plain.length],
    ] as const) {
      expect((await streamed(cipher, sealed, s, e)).equals(plain.subarray(s, e))).toBe(true);
    }
  });

  it('refuses a changed byte anywhere (header, ciphertext, tag)', async () => {
    const plain = randomBytes(2 * CHUNK_BYTES + 10);
    const sealed = cipher.seal(plain);
    for (const at of [10, 20, HEADER_BYTES + 5, HEADER_BYTES + SEALED_CHUNK - 1, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 1;
      expect(() => cipher.open(bad), `byte ${at}`).toThrow(SealedObjectError);
      await expect(streamed(cipher, bad)).rejects.toThrow(SealedObjectError);
    }
  });

  it('refuses truncation, at a chunk boundary or inside a chunk', () => {
    const sealed = cipher.seal(randomBytes(3 * CHUNK_BYTES + 10));
    const atBoundary = sealed.subarray(0, HEADER_BYTES + 3 * SEALED_CHUNK);
    expect(() => cipher.open(atBoundary)).toThrow(/chunk 2 failed authentication/);
    // A range read that touches the new end notices it too.
    expect(() => sourceOf(cipher, atBoundary).read(3 * CHUNK_BYTES - 1, 1)).toThrow(SealedObjectError);
    expect(() => cipher.open(sealed.subarray(0, sealed.length - 3))).toThrow(SealedObjectError);
    expect(() => cipher.open(sealed.subarray(0, HEADER_BYTES))).toThrow(SealedObjectError);
  });

  it('refuses swapped or reordered chunks', () => {
    const sealed = cipher.seal(randomBytes(3 * CHUNK_BYTES));
    const c = (i: number) => sealed.subarray(HEADER_BYTES + i * SEALED_CHUNK, HEADER_BYTES + (i + 1) * SEALED_CHUNK);
    const swapped = Buffer.concat([sealed.subarray(0, HEADER_BYTES), c(1), c(0), c(2)]);
    expect(() => sourceOf(cipher, swapped).read(0, 1)).toThrow(/chunk 0 failed/);
    // The final chunk moved forward and a middle chunk made last: both refused.
    const reordered = Buffer.concat([sealed.subarray(0, HEADER_BYTES), c(0), c(2), c(1)]);
    expect(() => sourceOf(cipher, reordered).read(CHUNK_BYTES, 1)).toThrow(/chunk 1 failed/);
    expect(() => sourceOf(cipher, reordered).read(2 * CHUNK_BYTES, 1)).toThrow(/chunk 2 failed/);
    // A chunk of another object under the same key.
    const other = cipher.seal(randomBytes(3 * CHUNK_BYTES));
    const spliced = Buffer.concat([
      sealed.subarray(0, HEADER_BYTES + SEALED_CHUNK),
      other.subarray(HEADER_BYTES + SEALED_CHUNK),
    ]);
    expect(() => cipher.open(spliced)).toThrow(SealedObjectError);
  });

  it('opens with any key of the keyring (rotation) and names a missing key', () => {
    const oldKey = key();
    const old = new ObjectCipher(new Keyring([oldKey]));
    const sealed = old.seal(Buffer.from('x'));
    expect(() => cipher.open(sealed)).toThrow(/key id [0-9a-f]{16}/);
    const rotated = new ObjectCipher(new Keyring([key(), oldKey]));
    expect(rotated.open(sealed).toString()).toBe('x');
    expect(ObjectCipher.keyIdOfHeader(rotated.seal(Buffer.from('y')))).toBe(rotated.keyring.primary.id.toString('hex'));
    expect(() => cipher.open(Buffer.from('plain DICOM bytes, not sealed at all............................'))).toThrow(
      /not a sealed object/,
    );
  });
});
