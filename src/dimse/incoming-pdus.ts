/**
 * Puts our checks between an accepted socket and the library: bad bytes never reach it (the
 * PDU headers are checked first, pdu-guard.ts), it receives whole PDUs (PduFramer, which
 * spares its per-chunk reassembly copies), and each PDU is first offered to `take` (the
 * C-STORE fast path).
 */
import type { Socket } from 'node:net';
import { PduFramer, type PduGuard } from './pdu-guard.js';

export interface PduTap {
  guard: PduGuard;
  /** True when the PDU was taken and the library must not see it. */
  take(pdu: Buffer): boolean;
  /** A PDU that arrived over several socket chunks, as those pieces: true when taken without joining them. */
  takeParts?(parts: Buffer[]): boolean;
  /** The bytes broke the protocol (`why`): nothing more is read. */
  refuse(why: string): void;
  /** Once true, incoming bytes are ignored. */
  ended(): boolean;
}

/** Call once the library has put its 'data' listener on the socket: that listener then gets only what `tap` leaves. */
export function tapIncomingPdus(socket: Socket, tap: PduTap): void {
  const theirs = socket.listeners('data') as ((chunk: Buffer) => void)[];
  socket.removeAllListeners('data');
  const framer = new PduFramer();
  const deliver = (pdu: Buffer) => {
    if (tap.take(pdu)) return;
    for (const listener of theirs) listener.call(socket, pdu);
  };
  socket.on('data', (chunk: Buffer) => {
    if (tap.ended()) return;
    const problem = tap.guard.check(chunk);
    if (problem) {
      tap.refuse(`protocol error: ${problem}`);
      return;
    }
    framer.push(chunk, deliver, tap.takeParts && ((parts) => tap.takeParts!(parts)));
  });
}
