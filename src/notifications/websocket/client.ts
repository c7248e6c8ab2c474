/** A minimal WebSocket client (tests and benchmarks): connect, send text, receive text. */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { WebSocketConnection } from './connection.js';
import { acceptKey } from './frames.js';

export interface WebSocketClient {
  send(text: string): void;
  /** The next text message (queued ones first), or a timeout error. */
  next(timeoutMs?: number): Promise<string>;
  close(): void;
}

export function connectWebSocket(url: string, extraHeaders: Record<string, string> = {}): Promise<WebSocketClient> {
  const u = new URL(url);
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { ...extraHeaders, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': key } });
    req.on('response', (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.on('upgrade', (res, socket, head) => {
      if (res.headers['sec-websocket-accept'] !== acceptKey(key)) return reject(new Error('bad Sec-WebSocket-Accept'));
      const ws = new WebSocketConnection(socket, true);
      const queue: string[] = [];
      const waiting: ((t: string) => void)[] = [];
      ws.onText = (t) => (waiting.length ? waiting.shift()!(t) : queue.push(t));
      ws.feed(head);
      resolve({
        send: (t) => ws.send(t),
        next: (timeoutMs = 5000) =>
          queue.length
            ? Promise.resolve(queue.shift()!)
            : new Promise((ok, fail) => {
                const timer = setTimeout(() => {
                  waiting.splice(waiting.indexOf(done), 1);
                  fail(new Error(`no websocket message within ${timeoutMs} ms`));
                }, timeoutMs);
                const done = (t: string) => {
                  clearTimeout(timer);
                  ok(t);
                };
                waiting.push(done);
              }),
        close: () => ws.close(),
      });
    });
    req.end();
  });
}
