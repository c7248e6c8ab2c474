import { read, readSync } from 'node:fs';

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
