import { describe, expect, it } from 'vitest';
import { PduFramer, PduGuard } from './pdu-guard.js';

/** A PDU header: type, reserved, 32-bit big-endian length (PS3.8 9.3.1). */
const header = (type: number, length: number) => {
  const b = Buffer.from([type, 0, 0, 0, 0, 0]);
  b.writeUInt32BE(length, 2);
  return b;
};
const pdu = (type: number, length: number) => Buffer.concat([header(type, length), Buffer.alloc(length)]);

describe('PduGuard', () => {
  it('passes an A-ASSOCIATE-RQ, P-DATA-TFs within the maximum and a release, split anywhere', () => {
    const stream = Buffer.concat([pdu(0x01, 200), pdu(0x04, 16384), pdu(0x04, 12), pdu(0x05, 4)]);
    const guard = new PduGuard(16384);
    for (let i = 0; i < stream.length; i += 7) expect(guard.check(stream.subarray(i, i + 7))).toBeUndefined();
  });

  it('refuses an unknown PDU type', () => {
    expect(new PduGuard(16384).check(Buffer.from([0x09, 0, 0, 0, 0, 4, 1, 2, 3, 4]))).toMatch(/unknown PDU type 0x09/);
  });

  it('refuses anything but A-ASSOCIATE-RQ first, and a second A-ASSOCIATE-RQ', () => {
    expect(new PduGuard(16384).check(pdu(0x04, 10))).toMatch(/before A-ASSOCIATE-RQ/);
    expect(new PduGuard(16384).check(Buffer.concat([pdu(0x01, 10), pdu(0x01, 10)]))).toMatch(/second/);
  });

  it('refuses a P-DATA-TF above the announced maximum before its body arrives', () => {
    const guard = new PduGuard(16384);
    expect(guard.check(pdu(0x01, 10))).toBeUndefined();
    expect(guard.check(header(0x04, 16385))).toMatch(/exceeds the maximum of 16384/);
  });

  it('refuses a forged 4 GB A-ASSOCIATE-RQ length and a release PDU of the wrong length', () => {
    expect(new PduGuard(16384).check(header(0x01, 0xffffffff))).toMatch(/exceeds/);
    expect(new PduGuard(16384).check(Buffer.concat([pdu(0x01, 10), pdu(0x05, 8)]))).toMatch(/must be 4/);
  });
});

describe('PduFramer', () => {
  const filled = (type: number, length: number) =>
    Buffer.concat([header(type, length), Buffer.from(Array.from({ length }, (_, i) => (i * 7 + type) & 0xff))]);
  const stream = Buffer.concat([
    filled(0x01, 200),
    filled(0x04, 16384),
    filled(0x04, 12),
    filled(0x04, 131072),
    filled(0x05, 4),
  ]);
  for (const step of [1, 5, 6, 7, 4096, 65536, stream.length]) {
    it(`hands over whole PDUs, byte for byte, with the stream split every ${step} bytes`, () => {
      const framer = new PduFramer();
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step)
        framer.push(stream.subarray(i, i + step), (p) => out.push(Buffer.from(p)));
      expect(out.map((p) => p.length)).toEqual([206, 16390, 18, 131078, 10]);
      expect(Buffer.concat(out).equals(stream)).toBe(true);
    });
  }

  it('passes a PDU lying inside one chunk as a view, without copying', () => {
    const chunk = Buffer.concat([pdu(0x04, 12), pdu(0x04, 20)]);
    const out: Buffer[] = [];
    new PduFramer().push(chunk, (p) => out.push(p));
    expect(out).toHaveLength(2);
    expect(out[0]!.buffer).toBe(chunk.buffer);
  });

  for (const step of [1, 7, 4096, 65536]) {
    it(`offers a PDU spread over chunks as its pieces (split every ${step} bytes); joins it only when they are refused`, () => {
      const taken: Buffer[][] = [];
      const joined: Buffer[] = [];
      const framer = new PduFramer();
      for (let i = 0; i < stream.length; i += step)
        framer.push(
          stream.subarray(i, i + step),
          (p) => joined.push(Buffer.from(p)),
          (parts) => {
            // Take the big P-DATA-TF only; the others are refused and must arrive whole.
            if (parts.reduce((n, p) => n + p.length, 0) !== 131078) return false;
            taken.push(parts.map((p) => Buffer.from(p)));
            return true;
          },
        );
      const whole = joined.map((p) => p.length);
      expect(taken).toHaveLength(1);
      const all = [...joined.slice(0, 3), Buffer.concat(taken[0]!), ...joined.slice(3)];
      expect(all.map((p) => p.length)).toEqual([206, 16390, 18, 131078, 10]);
      expect(Buffer.concat(all).equals(stream)).toBe(true);
      expect(whole).not.toContain(131078);
      for (const parts of taken) expect(parts.length).toBeGreaterThan(1);
    });
  }
});
