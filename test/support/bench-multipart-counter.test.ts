/**
 * The benchmarks' streaming multipart counter (bench/multipart.ts; see also bench-multipart.test.ts):
 * parts and bytes counted exactly however the body is cut into chunks, delimiters split across
 * two or more chunks too.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MultipartCounter, multipartRelated } from '../../bench/multipart.js';

async function bodyOf(parts: Buffer[], boundary: string): Promise<Buffer> {
  const body = multipartRelated(
    parts.map((p) => ({ size: p.length, body: () => p })),
    'application/dicom',
    boundary,
  );
  const chunks: Buffer[] = [];
  for await (const c of body.stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function count(body: Buffer, boundary: string, cuts: number[]): { parts: number; bytes: number } {
  const counter = new MultipartCounter(boundary);
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    counter.push(body.subarray(at, cut));
    at = cut;
  }
  return { parts: counter.parts, bytes: counter.bytes };
}

describe('bench MultipartCounter', () => {
  const boundary = 'ib-bench-0123456789abcdef';
  const parts = Array.from({ length: 7 }, (_, k) => randomBytes(50 + k * 333));

  it('counts parts and bytes with every delimiter split at every place across two chunks', async () => {
    const body = await bodyOf(parts, boundary);
    const d = Buffer.from(`--${boundary}`);
    const starts: number[] = [];
    for (let at = body.indexOf(d); at !== -1; at = body.indexOf(d, at + 1)) starts.push(at);
    expect(starts).toHaveLength(parts.length + 1);
    for (const start of starts)
      for (let j = 0; j <= d.length; j++)
        expect(count(body, boundary, [start + j]), `cut ${j} bytes into the delimiter at ${start}`).toEqual({
          parts: parts.length,
          bytes: body.length,
        });
  });

  it('counts delimiters spread over several chunks shorter than the delimiter, and empty chunks', async () => {
    const body = await bodyOf(parts, boundary);
    for (const size of [1, 2, 3, 5, 7, 11, 64]) {
      const cuts: number[] = [];
      for (let at = size; at < body.length; at += size) cuts.push(at, at); // an empty chunk at each cut
      expect(count(body, boundary, cuts), `chunks of ${size}`).toEqual({ parts: parts.length, bytes: body.length });
    }
  });

  it('counts no part where the body only looks like a delimiter across an edge', () => {
    // "--ib-bench-0123" | "456789abcdeX": the halves match, the whole does not.
    const fake = Buffer.from(`--${boundary.slice(0, -1)}X`);
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\n\r\n`), fake, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    for (let cut = 1; cut < body.length; cut++)
      expect(count(body, boundary, [cut])).toEqual({ parts: 1, bytes: body.length });
  });
});
