import { describe, expect, it } from 'vitest';
import { MultipartError, MultipartWriter, parseMediaType, readMultipart } from './multipart.js';

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function collect(body: Buffer, boundary: string, chunk = 7) {
  const parts: { headers: Record<string, string>; data: Buffer }[] = [];
  for await (const part of readMultipart(chunked(body, chunk), boundary)) {
    const bufs: Buffer[] = [];
    for await (const c of part.body) bufs.push(c);
    parts.push({ headers: part.headers, data: Buffer.concat(bufs) });
  }
  return parts;
}

function build(parts: Buffer[], boundary = 'XyZ'): Buffer {
  const w = new MultipartWriter(boundary);
  const out: Buffer[] = [];
  for (const p of parts) out.push(w.partHeader({ 'Content-Type': 'application/dicom' }), p);
  out.push(w.end());
  return Buffer.concat(out);
}

describe('multipart/related reader', () => {
  it('yields every part with its headers and exact bytes, whatever the chunking', async () => {
    const a = Buffer.from('first\r\n--XyY not a boundary\r\n--Xy');
    const b = Buffer.alloc(5000, 0xab);
    for (const size of [1, 3, 64, 100_000]) {
      const parts = await collect(build([a, b]), 'XyZ', size);
      expect(parts).toHaveLength(2);
      expect(parts[0]!.headers['content-type']).toBe('application/dicom');
      expect(parts[0]!.data.equals(a)).toBe(true);
      expect(parts[1]!.data.equals(b)).toBe(true);
    }
  });

  it('skips a preamble before the first boundary', async () => {
    const body = Buffer.concat([Buffer.from('preamble text\r\n'), build([Buffer.from('one'), Buffer.from('two')])]);
    const parts = await collect(body, 'XyZ', 4);
    expect(parts.map((p) => p.data.toString())).toEqual(['one', 'two']);
  });

  it('rejects a body whose closing boundary is missing', async () => {
    const body = build([Buffer.from('data')]).subarray(0, 50);
    await expect(collect(body, 'XyZ')).rejects.toBeInstanceOf(MultipartError);
  });

  it('rejects a body with no boundary at all', async () => {
    await expect(collect(Buffer.from('just some bytes'), 'XyZ')).rejects.toThrow(/no part delimited/);
  });

  it('parses quoted media type parameters', () => {
    const m = parseMediaType('Multipart/Related; type="application/dicom"; boundary="a;b"');
    expect(m).toEqual({ type: 'multipart/related', params: { type: 'application/dicom', boundary: 'a;b' } });
  });
});
