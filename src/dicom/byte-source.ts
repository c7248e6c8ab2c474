/**
 * ByteSource implementations. The parser asks for a few bytes at a time, so the file
 * source keeps a small read-ahead block: one readSync serves many element headers.
 */
import { readSync } from 'node:fs';
import { DicomParseError, type ByteSource } from './types.js';

export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read(offset: number, length: number): Buffer {
      checkRange(offset, length, buf.length);
      return buf.subarray(offset, offset + length);
    },
  };
}

const BLOCK = 64 * 1024;

/** `base`: where the object starts in the file (objects packed into a shared file). */
export function fileSource(fd: number, size: number, prefix?: Buffer, base = 0): ByteSource {
  const head = prefix && prefix.length > 0 ? prefix.subarray(0, Math.min(prefix.length, size)) : undefined;
  let block: Buffer | undefined;
  let blockStart = 0;

  const readExact = (offset: number, length: number): Buffer => {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, base + offset + done);
      if (n === 0)
        throw new DicomParseError(`file ended at offset ${offset + done}, expected ${size} bytes`, offset + done);
      done += n;
    }
    return out;
  };

  return {
    size,
    read(offset: number, length: number): Buffer {
      checkRange(offset, length, size);
      if (head && offset + length <= head.length) return head.subarray(offset, offset + length);
      if (block && offset >= blockStart && offset + length <= blockStart + block.length) {
        return block.subarray(offset - blockStart, offset - blockStart + length);
      }
      if (length >= BLOCK / 2) return readExact(offset, length);
      // A fresh buffer per block (never reused) so slices handed out earlier stay valid.
      blockStart = offset;
      block = readExact(offset, Math.min(BLOCK, size - offset));
      return block.subarray(0, length);
    },
  };
}

function checkRange(offset: number, length: number, size: number): void {
  if (!(offset >= 0 && length >= 0 && offset + length <= size)) {
    throw new DicomParseError(`read of ${length} bytes at offset ${offset} is outside the ${size}-byte object`, offset);
  }
}

/** Whole content of a source as one Buffer (used for small inputs such as deflated streams). */
export function readAll(source: ByteSource, offset = 0): Buffer {
  return source.read(offset, source.size - offset);
}
