/** Building an encapsulated PixelData item stream (PS3.5 A.4) from frames, for writers and tests. */

export interface EncapsulateOptions {
  /** Fill the Basic Offset Table (default true). */
  basicOffsetTable?: boolean;
  /** Split each frame into fragments of at most this many bytes (default: one fragment per frame). */
  fragmentSize?: number;
}

function itemHeader(tag: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(tag, 2);
  b.writeUInt32LE(length, 4);
  return b;
}

/** BOT item, fragment items (values padded to even length), sequence delimiter. */
export function encapsulatePixelData(frames: Buffer[], opts: EncapsulateOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let pos = 0;
  for (const frame of frames) {
    offsets.push(pos);
    const size = opts.fragmentSize && opts.fragmentSize > 0 ? opts.fragmentSize : Math.max(frame.length, 1);
    for (let start = 0; start < frame.length || start === 0; start += size) {
      let fragment = frame.subarray(start, Math.min(frame.length, start + size));
      if (fragment.length % 2) fragment = Buffer.concat([fragment, Buffer.alloc(1)]);
      parts.push(itemHeader(0xe000, fragment.length), fragment);
      pos += 8 + fragment.length;
      if (frame.length === 0) break;
    }
  }
  const bot = Buffer.alloc(opts.basicOffsetTable === false ? 0 : offsets.length * 4);
  if (bot.length) offsets.forEach((o, i) => bot.writeUInt32LE(o, i * 4));
  return Buffer.concat([itemHeader(0xe000, bot.length), bot, ...parts, itemHeader(0xe0dd, 0)]);
}
