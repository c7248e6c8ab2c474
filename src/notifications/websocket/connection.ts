/** One open WebSocket over a socket: text messages in and out, ping/pong and close handled. */
import type { Duplex } from 'node:stream';
import { encodeFrame, FrameDecoder, FrameTooLarge, MessageAssembler, OPCODE } from './frames.js';

export class WebSocketConnection {
  private readonly decoder: FrameDecoder;
  private readonly assembler = new MessageAssembler();
  private closed = false;
  onText: (text: string) => void = () => undefined;
  onClose: () => void = () => undefined;

  /** `mask`: true on the client side (RFC 6455: clients mask, servers do not). */
  constructor(
    private readonly socket: Duplex,
    private readonly mask: boolean,
    maxPayload = 64 * 1024,
  ) {
    this.decoder = new FrameDecoder(maxPayload);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(text: string): void {
    if (!this.closed) this.socket.write(encodeFrame(OPCODE.text, text, this.mask));
  }

  close(code = 1000): void {
    if (this.closed) return;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code, 0);
    this.socket.write(encodeFrame(OPCODE.close, payload, this.mask));
    this.socket.end();
    this.finish();
  }

  /** Bytes that arrived with the upgrade (after the handlers are set). */
  feed(chunk: Buffer): void {
    if (chunk.length) this.receive(chunk);
  }

  private receive(chunk: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      return this.close(e instanceof FrameTooLarge ? 1009 : 1002);
    }
    for (const f of frames) {
      const m = this.assembler.add(f);
      if (!m) continue;
      if (m.opcode === OPCODE.text) this.onText(m.payload.toString('utf8'));
      else if (m.opcode === OPCODE.ping) this.socket.write(encodeFrame(OPCODE.pong, m.payload, this.mask));
      else if (m.opcode === OPCODE.close) return this.close();
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose();
  }
}
