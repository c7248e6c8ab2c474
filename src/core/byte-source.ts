/**
 * Random access to the bytes of one object (a file on disk or a buffer). Reads are
 * synchronous and small: the parser asks only for the bytes it needs, so indexing a
 * 500 MB multi-frame file reads a few kilobytes.
 */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}
