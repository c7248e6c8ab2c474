/**
 * The FHIR R4 websocket channel (Subscription.channel.type = websocket) on the HTTP server's
 * upgrade event, with the `ws` package (framing, masking, UTF-8 and size checks): the client
 * sends `bind <Subscription id>`, we answer `bound <id>`, and send `ping <id>` each time the
 * Subscription fires.
 *
 * Every step that opens access is recorded before it takes effect: the upgrade (accepted or
 * refused) before the 101 or the refusal is sent, each bind before `bound`, each ping before it
 * is sent. When the record cannot be written the step does not happen (503 / `error` / no ping).
 * A socket opened with a token is closed at the token's expiry (close code 1008, policy
 * violation) and may bind only Subscriptions whose stamped subscriber is that token's caller.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../../auth/principal.js';

export const WEBSOCKET_PATH = '/fhir-ws';
/** Largest client message (after joining fragments): commands are one short line. */
export const MAX_MESSAGE_BYTES = 4096;
/** Subscriptions one socket may bind. */
export const MAX_BINDINGS = 64;
/** Commands of one socket waiting for their audit record: more closes the socket (1008). */
export const MAX_PENDING_COMMANDS = 16;
/** Close code at token expiry: 1008 (policy violation; RFC 6455 §7.4.1). */
export const TOKEN_EXPIRED_CLOSE = 1008;

/** Who opened the socket (under --auth smart), or why the upgrade is refused. */
export type Admission = { principal?: Principal } | { status: number; reason: string; principal?: Principal };

/** One channel step to record before it takes effect (the hub knows nothing of the audit format). */
export type ChannelEvent =
  | { kind: 'open'; principal?: Principal; sourceIp?: string; status: number; reason?: string }
  | { kind: 'bind'; principal?: Principal; sourceIp?: string; subscriptionId: string; status: number; reason?: string }
  | { kind: 'ping'; principal?: Principal; sourceIp?: string; subscriptionId: string; about?: unknown };

export interface HubOptions {
  /** Whether this caller may bind the Subscription: null, or the refusal (404 none such, 403 not its subscriber). */
  canBind: (subscriptionId: string, principal: Principal | undefined) => { status: number; reason: string } | null;
  /** Records a step durably; a rejection stops the step. */
  record?: (event: ChannelEvent) => Promise<void>;
  /** Told of failures (a record that could not be written). */
  onError?: (err: unknown, what: string) => void;
  now?: () => number;
}

interface Socket {
  ws: WebSocket;
  principal?: Principal;
  sourceIp?: string;
  bound: Set<string>;
  expiry?: NodeJS.Timeout;
  pending: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const KEY = /^[+/0-9A-Za-z]{22}==$/;

export class WebSocketHub {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly bound = new Map<string, Set<Socket>>();
  private readonly all = new Set<Socket>();
  private readonly now: () => number;

  constructor(private readonly o: HubOptions) {
    this.now = o.now ?? Date.now;
  }

  /** `authorize`: who the upgrade request is from (e.g. its bearer token), or why it is refused. */
  attach(server: Server, path = WEBSOCKET_PATH, authorize?: (req: IncomingMessage) => Promise<Admission>): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((req.url ?? '').split('?')[0] !== path) {
        if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      socket.on('error', () => socket.destroy());
      const key = req.headers['sec-websocket-key'];
      if (
        req.method !== 'GET' ||
        req.headers.upgrade?.toLowerCase() !== 'websocket' ||
        typeof key !== 'string' ||
        !KEY.test(key) ||
        req.headers['sec-websocket-version'] !== '13'
      ) {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        return;
      }
      void this.admit(req, socket, head, authorize);
    });
  }

  private async admit(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    authorize?: (req: IncomingMessage) => Promise<Admission>,
  ): Promise<void> {
    const sourceIp = req.socket.remoteAddress;
    let admission: Admission;
    try {
      admission = authorize ? await authorize(req) : {};
    } catch (err) {
      this.o.onError?.(err, 'websocket authorization failed');
      return refuse(socket, 500, 'the token could not be checked');
    }
    const p = admission.principal;
    if (!('status' in admission) && p?.expiresAt !== undefined && p.expiresAt * 1000 <= this.now())
      admission = { status: 401, reason: 'the access token has expired', principal: p };
    const status = 'status' in admission ? admission.status : 101;
    const reason = 'reason' in admission ? admission.reason : undefined;
    if (
      !(await this.recorded({
        kind: 'open',
        principal: admission.principal,
        sourceIp,
        status,
        ...(reason ? { reason } : {}),
      }))
    ) {
      return refuse(socket, 503, 'the access could not be recorded');
    }
    if ('status' in admission) return refuse(socket, admission.status, admission.reason);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, p, sourceIp));
  }

  private open(ws: WebSocket, principal: Principal | undefined, sourceIp: string | undefined): void {
    const s: Socket = {
      ws,
      bound: new Set(),
      pending: 0,
      ...(principal ? { principal } : {}),
      ...(sourceIp ? { sourceIp } : {}),
    };
    this.all.add(s);
    if (principal?.expiresAt !== undefined) {
      const left = Math.min(principal.expiresAt * 1000 - this.now(), MAX_TIMER_MS);
      s.expiry = setTimeout(() => ws.close(TOKEN_EXPIRED_CLOSE, 'the access token has expired'), Math.max(0, left));
      s.expiry.unref();
    }
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.send('error binary messages are not accepted (expected: bind <Subscription id>)');
      if (s.pending >= MAX_PENDING_COMMANDS) return ws.close(1008, 'too many commands in flight');
      s.pending++;
      void this.command(
        s,
        Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'),
      ).finally(() => s.pending--);
    });
    // ws has already sent the close frame (1002, 1007, 1009…) and closes the socket itself.
    ws.on('error', () => undefined);
    ws.on('close', () => this.drop(s));
  }

  private drop(s: Socket): void {
    clearTimeout(s.expiry);
    this.all.delete(s);
    for (const id of s.bound) this.bound.get(id)?.delete(s);
    s.bound.clear();
  }

  private async command(s: Socket, text: string): Promise<void> {
    const m = /^bind\s+([A-Za-z0-9\-.]{1,64})$/.exec(text.trim());
    if (!m) return send(s, 'error unknown command (expected: bind <Subscription id>)');
    const id = m[1]!;
    if (!this.live(s)) return;
    const refusal =
      s.bound.size >= MAX_BINDINGS && !s.bound.has(id)
        ? { status: 429, reason: `a socket may bind at most ${MAX_BINDINGS} Subscriptions` }
        : this.o.canBind(id, s.principal);
    const event: ChannelEvent = {
      kind: 'bind',
      subscriptionId: id,
      status: refusal ? refusal.status : 200,
      ...(refusal ? { reason: refusal.reason } : {}),
      ...who(s),
    };
    if (!(await this.recorded(event))) return send(s, `error ${id}: the access could not be recorded`);
    if (refusal) return send(s, `error ${id}: ${refusal.reason}`);
    if (s.ws.readyState !== s.ws.OPEN) return;
    let set = this.bound.get(id);
    if (!set) this.bound.set(id, (set = new Set()));
    set.add(s);
    s.bound.add(id);
    send(s, `bound ${id}`);
  }

  /** Sends `ping <id>` to every socket bound to the Subscription, each after its record; how many got it. */
  async ping(subscriptionId: string, about?: unknown): Promise<number> {
    let n = 0;
    for (const s of [...(this.bound.get(subscriptionId) ?? [])]) {
      if (!this.live(s)) continue;
      if (!(await this.recorded({ kind: 'ping', subscriptionId, about, ...who(s) }))) continue;
      if (s.ws.readyState !== s.ws.OPEN) continue;
      send(s, `ping ${subscriptionId}`);
      n++;
    }
    return n;
  }

  /** Drops the bindings of a Subscription that is gone or no longer active. */
  unbind(subscriptionId: string): void {
    for (const s of this.bound.get(subscriptionId) ?? []) {
      s.bound.delete(subscriptionId);
      send(s, `error ${subscriptionId}: the Subscription is no longer active`);
    }
    this.bound.delete(subscriptionId);
  }

  close(): void {
    for (const s of this.all) {
      clearTimeout(s.expiry);
      s.ws.close(1001, 'server shutting down');
    }
    this.all.clear();
    this.bound.clear();
    this.wss.close();
  }

  /** Open, and its token not expired (the timer may not have fired yet): else closed now. */
  private live(s: Socket): boolean {
    if (s.ws.readyState !== s.ws.OPEN) return false;
    if (s.principal?.expiresAt !== undefined && s.principal.expiresAt * 1000 <= this.now()) {
      s.ws.close(TOKEN_EXPIRED_CLOSE, 'the access token has expired');
      return false;
    }
    return true;
  }

  private async recorded(event: ChannelEvent): Promise<boolean> {
    if (!this.o.record) return true;
    try {
      await this.o.record(event);
      return true;
    } catch (err) {
      this.o.onError?.(err, `audit record of a websocket ${event.kind} failed`);
      return false;
    }
  }
}

const who = (s: Socket) => ({
  ...(s.principal ? { principal: s.principal } : {}),
  ...(s.sourceIp ? { sourceIp: s.sourceIp } : {}),
});

function send(s: Socket, text: string): void {
  if (s.ws.readyState === s.ws.OPEN) s.ws.send(text);
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function refuse(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  const text = reason.replace(/[\r\n]/g, ' ');
  const challenge = status === 401 ? 'WWW-Authenticate: Bearer realm="imaging-bridge"\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Refused'}\r\n${challenge}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
