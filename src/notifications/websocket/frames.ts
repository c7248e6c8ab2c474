/**
 * The WebSocket frame format (RFC 6455 §5), as much as the FHIR R4 websocket channel needs:
 * text, close, ping and pong frames, 7/16/64-bit lengths, masking (clients must mask, servers
 * must not), fragmented messages joined.
 */
import { createHash, randomBytes } from 'node:crypto';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export const acceptKey = (key: string): string => createHash('sha1').update(key + GUID).digest('base64');

export function encodeFrame(opcode: number, payload: Buffer | string, mask: boolean): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const len = data.length;
  const header = Buffer.alloc(2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + (mask ? 4 : 0));
  header[0] = 0x80 | opcode;
  let at = 2;
  if (len < 126) header[1] = len;
  else if (len < 65536) {
    header[1] = 126;
    header.writeUInt16BE(len, 2);
    at = 4;
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
    at = 10;
  }
  if (!mask) return Buffer.concat([header, data]);
  header[1] |= 0x80;
  const key = randomBytes(4);
  key.copy(header, at);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([header, masked]);
}

export class FrameTooLarge extends Error {}

/** Feeds bytes in, gets whole frames out (unmasked). */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload = 1 << 20) {}

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  private next(): Frame | undefined {
    const b = this.buffer;
    if (b.length < 2) return undefined;
    const masked = (b[1] & 0x80) !== 0;
    let len = b[1] & 0x7f;
    let at = 2;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.maxPayload)) throw new FrameTooLarge(`frame of ${big} bytes`);
      len = Number(big);
      at = 10;
    }
    if (len > this.maxPayload) throw new FrameTooLarge(`frame of ${len} bytes`);
    const keyAt = at;
    if (masked) at += 4;
    if (b.length < at + len) return undefined;
    const payload = Buffer.from(b.subarray(at, at + len));
    if (masked) for (let i = 0; i < len; i++) payload[i] ^= b[keyAt + (i & 3)];
    this.buffer = b.subarray(at + len);
    return { fin: (b[0] & 0x80) !== 0, opcode: b[0] & 0x0f, payload };
  }
}

/** Joins fragmented messages; control frames pass through at once. */
export class MessageAssembler {
  private parts: Buffer[] = [];
  private opcode = 0;

  /** A whole message (text/binary) or control frame, or undefined while a message is incomplete. */
  add(frame: Frame): Frame | undefined {
    if (frame.opcode >= 0x8) return frame;
    if (frame.opcode !== OPCODE.continuation) {
      this.parts = [];
      this.opcode = frame.opcode;
    }
    this.parts.push(frame.payload);
    if (!frame.fin) return undefined;
    const message = { fin: true, opcode: this.opcode, payload: Buffer.concat(this.parts) };
    this.parts = [];
    return message;
  }
}
