import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { ByteSource } from '../byte-source.js';
import type { Keyring } from './keys.js';

/**
 * Objects sealed with AES-256-GCM in fixed-size chunks, so that a stream can be written
 * without knowing its end and a byte range read by opening only the chunks it touches.
 *
 *   header (32 bytes)  "IBE1" | u8 version 1 | u8 log2(chunk size) = 16 | 2 zero bytes
 *                      | key id (8) | object nonce (16, random)
 *   chunk 0..n-1       ciphertext (64 KiB, the last one 0..64 KiB) ‖ GCM tag (16)
 *
 * Every object has its own key, HKDF-SHA256(data key, salt = object nonce): nonces never
 * repeat under one key however many objects there are. Chunk i's nonce is the first 8 bytes of
 * the object nonce ‖ u32 i; its additional data is the header ‖ u32 i ‖ u8 final. A changed
 * byte, chunks swapped or reordered, or an object cut at any point (the chunk that ends it was
 * not sealed as the final one) fail authentication. An object of k·64 KiB bytes has k chunks,
 * an empty one a single empty final chunk: the plaintext size follows from the sealed size.
 */
export const CHUNK_BYTES = 64 * 1024;
export const HEADER_BYTES = 32;
const TAG_BYTES = 16;
const SEALED_CHUNK = CHUNK_BYTES + TAG_BYTES;
const MAGIC = Buffer.from('IBE1', 'latin1');
const INFO = Buffer.from('imaging-bridge object key v1', 'latin1');

export class SealedObjectError extends Error {
  constructor(message: string) {
    super(`encrypted object: ${message}`);
    this.name = 'SealedObjectError';
  }
}

const chunkCount = (plainSize: number) => Math.max(1, Math.ceil(plainSize / CHUNK_BYTES));

export function sealedSizeOf(plainSize: number): number {
  return HEADER_BYTES + plainSize + chunkCount(plainSize) * TAG_BYTES;
}

/** The plaintext size of a sealed object of `sealedSize` bytes (the sizes are consistent, or it throws). */
export function plainSizeOf(sealedSize: number): number {
  const body = sealedSize - HEADER_BYTES;
  const n = Math.ceil(body / SEALED_CHUNK);
  const plain = body - n * TAG_BYTES;
  if (body < TAG_BYTES || plain < 0 || chunkCount(plain) !== n)
    throw new SealedObjectError(`${sealedSize} bytes is not the size of a sealed object (truncated?)`);
  return plain;
}

interface ObjectKey {
  header: Buffer;
  key: Buffer;
  noncePrefix: Buffer;
}

function objectKey(header: Buffer, dataKey: Buffer): ObjectKey {
  const nonce = header.subarray(16, 32);
  return { header, key: Buffer.from(hkdfSync('sha256', dataKey, nonce, INFO, 32)), noncePrefix: nonce.subarray(0, 8) };
}

function chunkNonceAndAad(k: ObjectKey, index: number, final: boolean): { iv: Buffer; aad: Buffer } {
  const iv = Buffer.allocUnsafe(12);
  k.noncePrefix.copy(iv, 0);
  iv.writeUInt32BE(index, 8);
  const aad = Buffer.allocUnsafe(HEADER_BYTES + 5);
  k.header.copy(aad, 0);
  aad.writeUInt32BE(index, HEADER_BYTES);
  aad.writeUInt8(final ? 1 : 0, HEADER_BYTES + 4);
  return { iv, aad };
}

function sealChunk(k: ObjectKey, index: number, final: boolean, plain: Buffer[]): Buffer[] {
  const { iv, aad } = chunkNonceAndAad(k, index, final);
  const c = createCipheriv('aes-256-gcm', k.key, iv);
  c.setAAD(aad);
  const out = plain.map((p) => c.update(p));
  out.push(c.final(), c.getAuthTag());
  return out;
}

function openChunk(k: ObjectKey, index: number, final: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_BYTES) throw new SealedObjectError(`chunk ${index} is cut short`);
  const { iv, aad } = chunkNonceAndAad(k, index, final);
  const d = createDecipheriv('aes-256-gcm', k.key, iv);
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const body = d.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    const rest = d.final();
    return rest.length === 0 ? body : Buffer.concat([body, rest]);
  } catch {
    throw new SealedObjectError(
      `chunk ${index} failed authentication (altered, reordered or truncated, or sealed with another key)`,
    );
  }
}

/** Seals and opens objects with the keys of one keyring (primary key for new objects). */
export class ObjectCipher {
  constructor(readonly keyring: Keyring) {}

  private newObject(): ObjectKey {
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt8(1, 4);
    header.writeUInt8(16, 5);
    this.keyring.primary.id.copy(header, 8);
    randomBytes(16).copy(header, 16);
    return objectKey(header, this.keyring.primary.bytes);
  }

  /** The key of an existing object, from its header. */
  private existing(header: Buffer): ObjectKey {
    if (header.length < HEADER_BYTES || !header.subarray(0, 4).equals(MAGIC))
      throw new SealedObjectError('not a sealed object (no IBE1 header)');
    if (header.readUInt8(4) !== 1 || header.readUInt8(5) !== 16)
      throw new SealedObjectError(`unsupported format version ${header.readUInt8(4)}`);
    const id = header.subarray(8, 16);
    const key = this.keyring.get(id);
    if (!key)
      throw new SealedObjectError(`sealed with key id ${id.toString('hex')}, which none of the configured keys has`);
    return objectKey(Buffer.from(header.subarray(0, HEADER_BYTES)), key.bytes);
  }

  /** Key id of a sealed object's header (hex), or undefined when it is not one. */
  static keyIdOfHeader(header: Buffer): string | undefined {
    return header.length >= HEADER_BYTES && header.subarray(0, 4).equals(MAGIC)
      ? header.subarray(8, 16).toString('hex')
      : undefined;
  }

  /** A whole object at once (small objects: pack records, notes). */
  seal(plain: Buffer): Buffer {
    const w = this.writer();
    return Buffer.concat([...w.push([plain]), ...w.finish()]);
  }

  /** A whole sealed object back. */
  open(sealed: Buffer): Buffer {
    const size = plainSizeOf(sealed.length);
    const n = chunkCount(size);
    const k = this.existing(sealed.subarray(0, HEADER_BYTES));
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const start = HEADER_BYTES + i * SEALED_CHUNK;
      parts.push(openChunk(k, i, i === n - 1, sealed.subarray(start, Math.min(start + SEALED_CHUNK, sealed.length))));
    }
    return n === 1 ? parts[0]! : Buffer.concat(parts, size);
  }

  /** Seals a stream: push() returns what can be written so far, finish() the rest (the final chunk). */
  writer(): { push(chunks: Buffer[]): Buffer[]; finish(): Buffer[] } {
    const k = this.newObject();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let index = 0;
    let started = false;
    const head = (): Buffer[] => {
      if (started) return [];
      started = true;
      return [k.header];
    };
    return {
      push: (chunks) => {
        const out = head();
        for (let c of chunks) {
          while (c.length > 0) {
            // A full chunk is sealed once more bytes follow it: only then is it known not to be the final one.
            if (pendingBytes === CHUNK_BYTES) {
              out.push(...sealChunk(k, index++, false, pending));
              pending = [];
              pendingBytes = 0;
            }
            const take = Math.min(c.length, CHUNK_BYTES - pendingBytes);
            pending.push(c.subarray(0, take));
            pendingBytes += take;
            c = c.subarray(take);
          }
        }
        return out;
      },
      finish: () => {
        const out = head();
        out.push(...sealChunk(k, index++, true, pending));
        pending = [];
        return out;
      },
    };
  }

  /**
   * Random access to the plaintext of a sealed object through `readRaw` (positional reads of
   * its sealed bytes). Each read opens only the chunks it touches; the last two opened are kept.
   * `head`: plaintext of the object's first bytes already in memory.
   */
  source(readRaw: (offset: number, length: number) => Buffer, sealedSize: number, head?: Buffer): ByteSource {
    const size = plainSizeOf(sealedSize);
    const n = chunkCount(size);
    const k = this.existing(readRaw(0, HEADER_BYTES));
    const cache: { index: number; plain: Buffer }[] = [];
    const chunk = (i: number): Buffer => {
      const hit = cache.find((c) => c.index === i);
      if (hit) return hit.plain;
      const start = HEADER_BYTES + i * SEALED_CHUNK;
      const plain = openChunk(k, i, i === n - 1, readRaw(start, Math.min(SEALED_CHUNK, sealedSize - start)));
      cache.unshift({ index: i, plain });
      if (cache.length > 2) cache.pop();
      return plain;
    };
    return {
      size,
      read(offset: number, length: number): Buffer {
        if (!(offset >= 0 && length >= 0 && offset + length <= size))
          throw new SealedObjectError(`read of ${length} bytes at ${offset} is outside the ${size}-byte object`);
        if (head && offset + length <= head.length) return head.subarray(offset, offset + length);
        const first = Math.floor(offset / CHUNK_BYTES);
        const last = Math.max(first, Math.floor((offset + length - 1) / CHUNK_BYTES));
        if (first === last) {
          const at = offset - first * CHUNK_BYTES;
          return chunk(first).subarray(at, at + length);
        }
        const out = Buffer.allocUnsafe(length);
        for (let i = first, done = 0; i <= last; i++) {
          const c = chunk(i);
          const from = i === first ? offset - first * CHUNK_BYTES : 0;
          const take = Math.min(c.length - from, length - done);
          c.copy(out, done, from, from + take);
          done += take;
        }
        return out;
      },
    };
  }

  /** The plaintext bytes [start, end) of a sealed object, chunk by chunk, read through `readRaw`. */
  async *stream(
    readRaw: (offset: number, length: number) => Promise<Buffer>,
    sealedSize: number,
    start = 0,
    end?: number,
  ): AsyncGenerator<Buffer> {
    const size = plainSizeOf(sealedSize);
    const stop = Math.min(end ?? size, size);
    if (start >= stop && size > 0) return;
    const n = chunkCount(size);
    const k = this.existing(await readRaw(0, HEADER_BYTES));
    // Several chunks per read: fewer system calls for whole-object streams.
    const group = 16;
    for (let i = Math.floor(start / CHUNK_BYTES); i < n && i * CHUNK_BYTES < stop; i += group) {
      const rawStart = HEADER_BYTES + i * SEALED_CHUNK;
      const raw = await readRaw(rawStart, Math.min(group * SEALED_CHUNK, sealedSize - rawStart));
      for (let j = 0; j < group && i + j < n && (i + j) * CHUNK_BYTES < stop; j++) {
        const idx = i + j;
        const plain = openChunk(k, idx, idx === n - 1, raw.subarray(j * SEALED_CHUNK, (j + 1) * SEALED_CHUNK));
        const base = idx * CHUNK_BYTES;
        const from = Math.max(0, start - base);
        const to = Math.min(plain.length, stop - base);
        if (to > from) yield from === 0 && to === plain.length ? plain : plain.subarray(from, to);
      }
    }
  }
}
