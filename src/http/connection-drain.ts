import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';

/**
 * Stopping waits for the responses in flight, never for a connection without one.
 *
 * Node's `server.close()` closes idle keep-alive connections only: a connection that has not
 * sent a request yet counts as waiting for headers, and the check that would expire it stops
 * with the server. A client that opened a connection and sent nothing (undici reconnects
 * ahead of its next request, browsers pre-connect) held the stop for its own idle timeout,
 * about a minute. Here, once closing starts, every connection with no request in flight is
 * closed at once, and every other one as soon as its last response has been sent.
 */
export function drainConnectionsOnClose(app: FastifyInstance): void {
  // The sockets requests arrive on (TLS sockets behind HTTPS), with their requests in flight.
  const inFlight = new Map<Socket, number>();
  // HTTPS only: TCP connections, to close those that never started a handshake.
  const raw = new Set<Socket>();
  let closing = false;
  const track = (socket: Socket): void => {
    if (closing) {
      socket.destroy();
      return;
    }
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  };
  if (app.server instanceof TlsServer) {
    app.server.on('secureConnection', track);
    app.server.on('connection', (socket: Socket) => {
      raw.add(socket);
      socket.once('close', () => raw.delete(socket));
    });
  } else {
    app.server.on('connection', track);
  }
  app.server.on('request', (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (!inFlight.has(socket)) return;
      inFlight.set(socket, left);
      // Written out first: `end` closes after what the response queued has gone.
      if (closing && left === 0) socket.end();
    });
  });
  app.addHook('preClose', (done) => {
    closing = true;
    for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
    for (const socket of raw) if (socket.bytesRead === 0) socket.destroy();
    done();
  });
}
