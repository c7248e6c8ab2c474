/**
 * The FHIR R4 websocket channel (Subscription.channel.type = websocket) on the HTTP server's
 * upgrade event: the client sends `bind <Subscription id>`, we answer `bound <id>`, and send
 * `ping <id>` each time the Subscription fires.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketConnection } from './connection.js';
import { acceptKey } from './frames.js';

export const WEBSOCKET_PATH = '/fhir-ws';

export class WebSocketHub {
  private readonly bound = new Map<string, Set<WebSocketConnection>>();
  private readonly all = new Set<WebSocketConnection>();

  /** `canBind`: null when the id names an active websocket Subscription, else why not. */
  constructor(private readonly canBind: (subscriptionId: string) => string | null) {}

  /**
   * `authorize`: null when the upgrade request may open a channel (e.g. its bearer token is valid),
   * else the HTTP status and reason to refuse it with.
   */
  attach(server: Server, path = WEBSOCKET_PATH, authorize?: (req: IncomingMessage) => Promise<{ status: number; reason: string } | null>): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((req.url ?? '').split('?')[0] !== path) {
        if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      const key = req.headers['sec-websocket-key'];
      if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        return;
      }
      if (!authorize) return this.open(socket, key, head);
      authorize(req).then(
        (refusal) => {
          if (!refusal) return this.open(socket, key, head);
          const text = refusal.reason.replace(/[\r\n]/g, ' ');
          const challenge = refusal.status === 401 ? 'WWW-Authenticate: Bearer realm="imaging-bridge"\r\n' : '';
          socket.end(`HTTP/1.1 ${refusal.status} ${refusal.status === 401 ? 'Unauthorized' : 'Forbidden'}\r\n${challenge}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
        },
        () => socket.end('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n'),
      );
    });
  }

  private open(socket: Duplex, key: string, head: Buffer): void {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
    const ws = new WebSocketConnection(socket, false);
    this.all.add(ws);
    ws.onText = (text) => this.command(ws, text.trim());
    ws.onClose = () => {
      this.all.delete(ws);
      for (const set of this.bound.values()) set.delete(ws);
    };
    ws.feed(head);
  }

  private command(ws: WebSocketConnection, text: string): void {
    const m = /^bind\s+(\S+)$/.exec(text);
    if (!m) return ws.send(`error unknown command (expected: bind <Subscription id>)`);
    const why = this.canBind(m[1]);
    if (why) return ws.send(`error ${m[1]}: ${why}`);
    let set = this.bound.get(m[1]);
    if (!set) this.bound.set(m[1], (set = new Set()));
    set.add(ws);
    ws.send(`bound ${m[1]}`);
  }

  /** Sends `ping <id>` to every socket bound to the Subscription; how many got it. */
  ping(subscriptionId: string): number {
    const set = this.bound.get(subscriptionId);
    let n = 0;
    for (const ws of set ?? []) {
      if (!ws.isOpen) continue;
      ws.send(`ping ${subscriptionId}`);
      n++;
    }
    return n;
  }

  /** Drops the bindings of a Subscription that is gone or no longer active. */
  unbind(subscriptionId: string): void {
    for (const ws of this.bound.get(subscriptionId) ?? []) ws.send(`error ${subscriptionId}: the Subscription is no longer active`);
    this.bound.delete(subscriptionId);
  }

  close(): void {
    for (const ws of this.all) ws.close(1001);
    this.all.clear();
    this.bound.clear();
  }
}
