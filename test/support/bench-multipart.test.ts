import { describe, expect, it } from 'vitest';
import { multipartRelated, MultipartCounter, boundaryOf, type Part } from '../../bench/multipart.js';
import { percentile, median } from '../../bench/stats.js';
import { ratioOf, targetMet, type Row } from '../../bench/workloads/types.js';

async function collect(parts: Part[] | Iterable<Part>): Promise<{ body: Buffer; length?: number; boundary: string }> {
  const m = multipartRelated(parts);
  const chunks: Buffer[] = [];
  for await (const c of m.stream) chunks.push(c as Buffer);
  return { body: Buffer.concat(chunks), length: m.length, boundary: m.boundary };
}

describe('bench multipart helpers', () => {
  const payloads = [Buffer.alloc(1000, 1), Buffer.alloc(3, 2), Buffer.alloc(70_000, 3)];

  it('announces the exact length when part sizes are known', async () => {
    const { body, length, boundary } = await collect(payloads.map((p) => ({ size: p.length, body: () => p })));
    expect(body.length).toBe(length);
    expect(body.toString('latin1').startsWith(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`)).toBe(true);
    expect(body.toString('latin1').endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
  });

  it('streams lazily produced parts without a length', async () => {
    function* lazy(): Generator<Part> {
      for (const p of payloads) yield { body: () => p };
    }
    const { length, body } = await collect(lazy());
    expect(length).toBeUndefined();
    expect(body.length).toBeGreaterThan(71_003);
  });

  it('counts parts even when delimiters are split across chunks', async () => {
    const { body, boundary } = await collect(payloads.map((p) => ({ size: p.length, body: () => p })));
    for (const step of [1, 2, 7, 13, 4096, body.length]) {
      const counter = new MultipartCounter(boundary);
      for (let at = 0; at < body.length; at += step) counter.push(body.subarray(at, at + step));
      expect(counter.parts).toBe(3);
      expect(counter.bytes).toBe(body.length);
    }
  });

  it('reads boundaries from content types', () => {
    expect(boundaryOf('multipart/related; type="application/dicom"; boundary=abc')).toBe('abc');
    expect(boundaryOf('multipart/related; boundary="x y"; type=application/dicom')).toBe('x y');
  });
});

describe('bench statistics and ratios', () => {
  it('computes nearest-rank percentiles and medians', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(median([3, 1, 2, 4])).toBe(2.5);
  });

  it('takes ratios the right way round', () => {
    const time: Row = {
      workload: 'x',
      metric: 't',
      unit: 's',
      better: 'lower',
      values: { ours: 1, orthanc: 5 },
      target: { text: '', minRatio: 5 },
    };
    const rate: Row = {
      workload: 'x',
      metric: 'r',
      unit: 'MB/s',
      better: 'higher',
      values: { ours: 100, orthanc: 50 },
      target: { text: '', minRatio: 3 },
    };
    expect(ratioOf(time)).toBe(5);
    expect(targetMet(time)).toBe(true);
    expect(ratioOf(rate)).toBe(2);
    expect(targetMet(rate)).toBe(false);
    expect(targetMet({ ...rate, values: { orthanc: 1 } })).toBeUndefined();
    // A share judged on ours alone (P1's floor share, P2's ceiling share).
    const share: Row = { workload: 'x', metric: 's', unit: '%', better: 'higher', values: { ours: 54.9 } };
    expect(targetMet({ ...share, target: { text: '', minOurs: 55 } })).toBe(false);
    expect(targetMet({ ...share, values: { ours: 55 }, target: { text: '', minOurs: 55 } })).toBe(true);
    expect(targetMet({ ...share, values: {}, target: { text: '', minOurs: 55 } })).toBeUndefined();
    // P3's peak RSS "≤ 2× Orthanc's" as a ratio of a lower-is-better figure.
    const peak: Row = { workload: 'x', metric: 'p', unit: 'MB', better: 'lower', values: { ours: 245, orthanc: 122 } };
    expect(targetMet({ ...peak, target: { text: '', minRatio: 0.5 } })).toBe(false);
    expect(targetMet({ ...peak, values: { ours: 244, orthanc: 122 }, target: { text: '', minRatio: 0.5 } })).toBe(true);
  });
});
