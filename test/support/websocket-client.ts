/** The Subscription websocket from a client's side, with the `ws` client: connect, send text, receive text, see the close. */
import WebSocket from 'ws';

export interface WebSocketClient {
  ws: WebSocket;
  send(text: string): void;
  /** The next text message (queued ones first), or a timeout error. */
  next(timeoutMs?: number): Promise<string>;
  /** Resolves with the close code and reason once the connection is closed. */
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Rejects with `HTTP <status>` when the server refuses the upgrade. */
export function connectWebSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocketClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const queue: string[] = [];
    const waiting: ((t: string) => void)[] = [];
    ws.on('message', (data) => {
      const text = data.toString();
      if (waiting.length) waiting.shift()!(text);
      else queue.push(text);
    });
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    ws.on('unexpected-response', (_req, res) => {
      reject(new Error(`no upgrade: HTTP ${res.statusCode}`));
      res.resume();
      ws.terminate();
    });
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
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
        closed,
        close: () => ws.close(),
      }),
    );
  });
}
