/**
 * The transport of an association we request: a socket we open (TCP_NODELAY, optional TLS)
 * and the library's association machinery over it.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Network, type Scp } from '../dcmjs-dimse.js';
import type { Peer, TlsSettings } from '../settings.js';

export interface Connection {
  socket: Socket;
  /** The library's Network (Scp's base class) on `socket`. */
  network: Scp;
}

const NEVER = 0x7fffffff;

/** `timeoutMs` bounds the connect and any socket inactivity; the library's PDU/association timers are off. */
export function connect(peer: Peer, o: { tls?: TlsSettings; timeoutMs: number }): Connection {
  const socket: Socket = peer.tls
    ? tlsConnect({
        host: peer.host,
        port: peer.port,
        cert: o.tls?.cert,
        key: o.tls?.key,
        ca: o.tls?.ca,
        checkServerIdentity: () => undefined,
      })
    : netConnect({ host: peer.host, port: peer.port });
  socket.setNoDelay(true);
  socket.on('error', () => undefined); // surfaced as networkError / close (negotiation.ts)
  const network = new Network(socket, { connectTimeout: o.timeoutMs, associationTimeout: NEVER, pduTimeout: NEVER });
  return { socket, network };
}
