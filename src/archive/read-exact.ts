import { read, readSync, readv } from 'node:fs';

/** `length` bytes at `position` of `fd`, or an error when the file ends before. */
export function readExactSync(fd: number, position: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) throw new Error(`file ends at ${position + done}, expected ${length} bytes at ${position}`);
    done += n;
  }
  return out;
}

/** As readExactSync, asynchronous; into `into` (exactly `length` bytes) when given. */
export async function readExactAsync(fd: number, position: number, length: number, into?: Buffer): Promise<Buffer> {
  if (into && into.length !== length) throw new Error(`read of ${length} bytes into a buffer of ${into.length}`);
  const out = into ?? Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = await new Promise<number>((resolve, reject) =>
      read(fd, out, done, length - done, position + done, (err, bytes) => (err ? reject(err) : resolve(bytes))),
    );
    if (n === 0) throw new Error(`file ends at ${position + done}, expected ${length} bytes at ${position}`);
    done += n;
  }
  return out;
}

/**
 * The bytes at `position` of `fd` into `buffers`, one after another (one readv for all of them
 * where the system takes them at once), or an error when the file ends before they are full.
 */
export async function readvExactAsync(fd: number, position: number, buffers: readonly Buffer[]): Promise<void> {
  const length = buffers.reduce((sum, b) => sum + b.length, 0);
  let rest = buffers.filter((b) => b.length > 0);
  let done = 0;
  while (rest.length > 0) {
    const n = await new Promise<number>((resolve, reject) =>
      readv(fd, rest, position + done, (err, bytes) => (err ? reject(err) : resolve(bytes))),
    );
    if (n === 0) throw new Error(`file ends at ${position + done}, expected ${length} bytes at ${position}`);
    done += n;
    // Drop the buffers filled; the one filled in part continues where the read stopped.
    let skip = n;
    let i = 0;
    while (i < rest.length && skip >= rest[i]!.length) skip -= rest[i++]!.length;
    rest = rest.slice(i);
    if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  }
}
