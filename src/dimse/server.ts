/**
 * The DIMSE listener. We own the socket server (dcmjs-dimse's Server.listen binds every
 * interface and sets no limits): bound to the configured host only, TCP_NODELAY, optional
 * TLS, a cap on connections, and each socket handed to an AssociationScp.
 */
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { AssociationScp } from './association-scp.js';
import type { AssociationRejection } from './audit.js';
import { normalizeAddress } from './policy.js';
import type { Exchange } from './exchange.js';
import type { ScpAssociation, ScpServices } from './scp-services.js';
import type { DimseSettings } from './settings.js';
import type { StorePort } from './store-handler.js';

export interface DimseHandlers {
  find(x: Exchange): Promise<void>;
  move(x: Exchange, destination: string): Promise<void>;
  get(x: Exchange, scp: ScpAssociation): Promise<void>;
  /** A refused association or failed TLS handshake (for the audit trail; must not throw). */
  rejected?(r: AssociationRejection): void;
}

export interface RunningDimseServer {
  port: number;
  close(): Promise<void>;
}

/** Connections beyond the association limit get this many extra sockets, to be told "limit exceeded" politely. */
const SOCKET_SLACK = 8;

export async function listenDimse(
  settings: DimseSettings,
  archive: StorePort,
  handlers: DimseHandlers,
  logger: Logger,
): Promise<RunningDimseServer> {
  const associations = new Set<ScpAssociation>();
  let nextId = 1;
  const services: ScpServices = {
    settings,
    archive,
    activeAssociations: (self) => [...associations].filter((a) => a !== self && a.associated).length,
    released: (self) => associations.delete(self),
    rejected: (r) => handlers.rejected?.(r),
    find: handlers.find,
    move: handlers.move,
    get: handlers.get,
  };
  const onSocket = (socket: Socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // reported through the association's networkError
    const log = logger.child({ assoc: nextId++, peer: socket.remoteAddress });
    try {
      associations.add(new AssociationScp(socket, services, log));
    } catch (e) {
      log.error({ err: e }, 'cannot set up the association');
      socket.destroy();
    }
  };
  const server: Server = settings.tls
    ? createTlsServer(
        {
          cert: settings.tls.cert,
          key: settings.tls.key,
          ca: settings.tls.ca,
          requestCert: settings.tls.ca !== undefined,
          rejectUnauthorized: settings.tls.ca !== undefined,
          minVersion: 'TLSv1.2',
          handshakeTimeout: settings.artimTimeoutMs,
        },
        onSocket,
      )
    : createNetServer({ noDelay: true }, onSocket);
  if (settings.tls) {
    server.on('connection', (raw: Socket) => raw.setNoDelay(true));
    server.on('tlsClientError', (e: Error, s: Socket) => {
      logger.warn({ err: e.message, peer: s.remoteAddress }, 'TLS handshake failed');
      handlers.rejected?.({
        service: 'association',
        reason: 'tls-handshake-failed',
        why: `TLS handshake failed: ${e.message}`,
        remoteAddress: normalizeAddress(s.remoteAddress ?? ''),
      });
      s.destroy();
    });
  }
  server.maxConnections = settings.maxAssociations + SOCKET_SLACK;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: settings.host, port: settings.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => logger.error({ err: e }, 'DIMSE listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  logger.info(
    { host: settings.host, dicomPort: port, aet: settings.aeTitle, tls: settings.tls !== undefined },
    'DIMSE listening',
  );
  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const open = [...associations];
      for (const a of open) a.terminate('server shutting down', true);
      // Stores in flight settle (their sockets are gone, so they fail or finish) before the index closes.
      await Promise.all(open.map((a) => a.drain()));
      await closed;
    },
  };
}
