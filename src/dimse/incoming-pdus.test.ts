import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { tapIncomingPdus } from './incoming-pdus.js';
import { PduGuard } from './pdu-guard.js';

/** A PDU: type, reserved, 32-bit big-endian length (PS3.8 9.3.1), then `length` bytes of `fill`. */
const pdu = (type: number, length: number, fill = 0) => {
  const b = Buffer.alloc(6 + length, fill);
  b.writeUInt8(type, 0);
  b.writeUInt8(0, 1);
  b.writeUInt32BE(length, 2);
  return b;
};

/** A socket stand-in with the library's 'data' listener already on it, tapped. */
function tapped(o: { take?: (pdu: Buffer) => boolean } = {}) {
  const socket = new EventEmitter() as unknown as Socket;
  const library: Buffer[] = [];
  const refused: string[] = [];
  let ended = false;
  socket.on('data', (chunk: Buffer) => library.push(chunk));
  tapIncomingPdus(socket, {
    guard: new PduGuard(16_384),
    take: o.take ?? (() => false),
    refuse: (why) => {
      refused.push(why);
      ended = true;
    },
    ended: () => ended,
  });
  return { receive: (b: Buffer) => socket.emit('data', b), library, refused };
}

describe('tapIncomingPdus', () => {
  it('hands the library whole PDUs however the bytes were cut', () => {
    const t = tapped();
    const stream = Buffer.concat([pdu(0x01, 100, 1), pdu(0x04, 300, 4), pdu(0x05, 4)]);
    for (let at = 0; at < stream.length; at += 37) t.receive(stream.subarray(at, at + 37));
    expect(t.library.map((p) => [p[0], p.length])).toEqual([
      [0x01, 106],
      [0x04, 306],
      [0x05, 10],
    ]);
  });

  it('keeps from the library what the fast path takes', () => {
    const t = tapped({ take: (p) => p[0] === 0x04 && p[6] === 7 });
    t.receive(Buffer.concat([pdu(0x01, 10), pdu(0x04, 20, 7), pdu(0x04, 20, 8)]));
    expect(t.library.map((p) => [p[0], p[6]])).toEqual([
      [0x01, 0],
      [0x04, 8],
    ]);
  });

  it('refuses bytes that break the protocol, and reads nothing more', () => {
    const t = tapped();
    t.receive(pdu(0x04, 10));
    t.receive(pdu(0x01, 10));
    expect(t.refused).toEqual(['protocol error: P-DATA-TF before A-ASSOCIATE-RQ']);
    expect(t.library).toEqual([]);
  });
});
