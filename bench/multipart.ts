/**
 * multipart/related bodies as streams (never the whole body in memory) and a streaming
 * counter for multipart responses.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export interface Part {
  /** Byte length when known up front (needed for a Content-Length). */
  size?: number;
  /** The part body: a buffer, or chunks produced lazily (e.g. a file read stream). */
  body: () => Buffer | AsyncIterable<Buffer>;
}

export interface MultipartBody {
  boundary: string;
  contentType: string;
  /** Total byte length when every part's size is known (then sent as Content-Length). */
  length?: number;
  stream: Readable;
}

export function newBoundary(): string {
  return `ib-bench-${randomBytes(12).toString('hex')}`;
}

const partHeader = (boundary: string, contentType: string): Buffer =>
  Buffer.from(`--${boundary}\r\nContent-Type: ${contentType}\r\n\r\n`, 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const closing = (boundary: string): Buffer => Buffer.from(`--${boundary}--\r\n`, 'latin1');

/**
 * A multipart/related; type="application/dicom" request body streaming the parts in order.
 * `parts` may be an array (sizes known → length) or any (async) iterable (chunked).
 */
export function multipartRelated(
  parts: readonly Part[] | Iterable<Part> | AsyncIterable<Part>,
  partContentType = 'application/dicom',
  boundary = newBoundary(),
): MultipartBody {
  const header = partHeader(boundary, partContentType);
  let length: number | undefined;
  if (Array.isArray(parts) && parts.every((p: Part) => p.size !== undefined)) {
    length = (parts as Part[]).reduce(
      (sum, p) => sum + header.length + p.size! + CRLF.length,
      closing(boundary).length,
    );
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const part of parts as AsyncIterable<Part>) {
      yield header;
      const body = part.body();
      if (Buffer.isBuffer(body)) yield body;
      else for await (const chunk of body) yield chunk;
      yield CRLF;
    }
    yield closing(boundary);
  }
  return {
    boundary,
    contentType: `multipart/related; type="${partContentType}"; boundary=${boundary}`,
    length,
    stream: Readable.from(chunks(), { objectMode: false, highWaterMark: 1 << 20 }),
  };
}

/** Parts that stream files from disk. */
export function fileParts(files: readonly { path: string; size: number }[]): Part[] {
  return files.map((f) => ({
    size: f.size,
    body: () => createReadStream(f.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>,
  }));
}

/** The boundary parameter of a multipart Content-Type header. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * Counts bytes and parts of a multipart response as it streams by, without copying it: whole
 * delimiters are found in each chunk, and one split across chunks by comparing the last bytes
 * kept from before (at most the delimiter's length − 1, in a buffer of its own) with the chunk's
 * first bytes. Each delimiter is counted once, in the chunk holding its last byte.
 */
export class MultipartCounter {
  bytes = 0;
  private delimiters = 0;
  private readonly delimiter: Buffer;
  /** The last `carried` bytes seen before the current chunk (up to delimiter length − 1). */
  private readonly carry: Buffer;
  private carried = 0;

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`--${boundary}`, 'latin1');
    this.carry = Buffer.alloc(this.delimiter.length - 1);
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    const d = this.delimiter;
    // Delimiters that start in the bytes before and end in this chunk: j of their bytes before.
    for (let j = Math.min(this.carried, d.length - 1); j >= 1; j--) {
      const rest = d.length - j;
      if (chunk.length < rest || chunk[0] !== d[j]) continue; // (a longer one ends in a later chunk: counted there)
      if (
        d.compare(this.carry, this.carried - j, this.carried, 0, j) === 0 &&
        d.compare(chunk, 0, rest, j, d.length) === 0
      )
        this.delimiters++;
    }
    for (let at = chunk.indexOf(d); at !== -1; at = chunk.indexOf(d, at + d.length)) this.delimiters++;
    this.keepTail(chunk);
  }

  /** Bytes before the current chunk, as they cross a chunk edge: the last delimiter length − 1. */
  private keepTail(chunk: Buffer): void {
    const room = this.carry.length;
    if (chunk.length >= room) {
      chunk.copy(this.carry, 0, chunk.length - room);
      this.carried = room;
      return;
    }
    const keep = Math.min(this.carried, room - chunk.length);
    this.carry.copyWithin(0, this.carried - keep, this.carried);
    chunk.copy(this.carry, keep);
    this.carried = keep + chunk.length;
  }

  /** Parts seen (delimiters minus the closing one). */
  get parts(): number {
    return Math.max(0, this.delimiters - 1);
  }
}
