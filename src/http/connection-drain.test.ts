/**
 * Closing the HTTP edge waits for responses in flight and for nothing else: a connection that
 * never sent a request, or is idle between keep-alive requests, is closed at once; a response
 * being sent when closing starts goes out whole. Real sockets, over HTTP and HTTPS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslAvailable, selfSignedCertificate } from '../../test/support/openssl.js';
import { drainConnectionsOnClose } from './connection-drain.js';

const CHUNKS = 20;
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

/** An app with one quick route and one that sends CHUNKS chunks, 10 ms apart. */
async function startApp(https?: { key: Buffer; cert: Buffer }): Promise<{ app: FastifyInstance; port: number }> {
  // One type for both: the routes below do not depend on the transport.
  const app = (https ? Fastify({ https }) : Fastify()) as unknown as FastifyInstance;
  drainConnectionsOnClose(app);
  app.get('/quick', async () => ({ ok: true }));
  app.get('/slow', async (_req, reply) => {
    let sent = 0;
    const body = new Readable({
      read() {
        setTimeout(() => this.push(sent++ < CHUNKS ? CHUNK : null), 10);
      },
    });
    return reply.type('application/octet-stream').send(body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** Resolves with how long `app.close()` took, or rejects past `limitMs`. */
async function timedClose(app: FastifyInstance, limitMs: number): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    app.close(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`close took more than ${limitMs} ms`)), limitMs);
    }),
  ]);
  clearTimeout(timer);
  return Date.now() - started;
}

function opened(socket: Socket, event: 'connect' | 'secureConnect'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve(socket));
    socket.once('error', reject);
  });
}

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => socket.once('close', () => resolve()));

/** Sends one keep-alive GET and reads until `bytes` of body arrived (or the socket closed). */
function getOn(socket: Socket, path: string, onData?: (received: number) => void): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (): void => {
      socket.off('data', data);
      resolve(Buffer.concat(chunks));
    };
    const data = (chunk: Buffer): void => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      onData?.(text.length);
      // Chunked body ended, or a small JSON body with its length.
      if (text.endsWith('0\r\n\r\n') || (path === '/quick' && text.endsWith('}'))) done();
    };
    socket.on('data', data);
    socket.once('close', done);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  });
}

/** The body of a chunked response (headers and chunk framing removed). */
function dechunk(raw: Buffer): Buffer {
  let at = raw.indexOf('\r\n\r\n') + 4;
  const parts: Buffer[] = [];
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = Number.parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

const variants: {
  name: string;
  skip: boolean;
  setUp: () => { key?: Buffer; cert?: Buffer };
  open: (port: number, ca?: Buffer) => Promise<Socket>;
}[] = [
  {
    name: 'HTTP',
    skip: false,
    setUp: () => ({}),
    open: (port) => opened(tcpConnect(port, '127.0.0.1'), 'connect'),
  },
  {
    name: 'HTTPS',
    skip: !opensslAvailable(),
    setUp: () => {
      const dir = mkdtempSync(join(tmpdir(), 'ib-drain-'));
      try {
        const { key, cert } = selfSignedCertificate(dir);
        return { key, cert };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    open: (port, ca) => opened(tlsConnect({ port, host: '127.0.0.1', ca }), 'secureConnect'),
  },
];

for (const variant of variants) {
  describe.skipIf(variant.skip)(`closing the ${variant.name} edge`, () => {
    let tls: { key?: Buffer; cert?: Buffer } = {};
    const https = (): { key: Buffer; cert: Buffer } | undefined =>
      tls.key && tls.cert ? { key: tls.key, cert: tls.cert } : undefined;
    const sockets: Socket[] = [];
    beforeAll(() => {
      tls = variant.setUp();
    });
    afterAll(() => {
      for (const s of sockets) s.destroy();
    });

    it('does not wait for a connection that never sent a request', async () => {
      const { app, port } = await startApp(https());
      const silent = await variant.open(port, tls.cert);
      sockets.push(silent);
      const gone = closed(silent);
      // Node alone waits for this client to give up (here: never).
      expect(await timedClose(app, 5_000)).toBeLessThan(5_000);
      await gone;
    });

    it('does not wait for a keep-alive connection between requests', async () => {
      const { app, port } = await startApp(https());
      const idle = await variant.open(port, tls.cert);
      sockets.push(idle);
      expect((await getOn(idle, '/quick')).toString()).toContain('"ok":true');
      const gone = closed(idle);
      await timedClose(app, 5_000);
      await gone;
    });

    it('sends a response in flight whole, then closes its connection', async () => {
      const { app, port } = await startApp(https());
      const busy = await variant.open(port, tls.cert);
      sockets.push(busy);
      let closing: Promise<number> | undefined;
      const response = getOn(busy, '/slow', (received) => {
        // Closing starts once the first chunks are out.
        if (!closing && received > CHUNK.length) closing = timedClose(app, 10_000);
      });
      const gone = closed(busy);
      const body = dechunk(await response);
      expect(closing).toBeDefined();
      await closing;
      expect(body.length).toBe(CHUNKS * CHUNK.length);
      expect(body.every((b) => b === 0x5a)).toBe(true);
      // The server closes the connection after the last response (nothing else holds it).
      await gone;
    });
  });
}
