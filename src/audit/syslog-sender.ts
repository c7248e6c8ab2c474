import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError } from '../core/errors.js';
import type { AuditSyslogConfig } from './syslog-config.js';

const MAX_QUEUED = 10_000;
const RECONNECT_MS = 5_000;

/**
 * Best-effort live copy of audit messages to a syslog collector. Never delays or fails an
 * access: the chain is the record, and `imaging-bridge audit export` replays it. Messages that
 * cannot be sent while the collector is away are queued (bounded), then dropped and counted.
 * Over TLS (RFC 5425) the collector's certificate is verified (the configured CA, else the
 * system's) and ours is presented when configured; a collector that fails verification gets
 * nothing.
 */
export class SyslogSender {
  private udp: UdpSocket | undefined;
  private tcp: Socket | undefined;
  private connected = false;
  private queue: string[] = [];
  private dropped = 0;
  private reconnect: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly tls: ConnectionOptions | undefined;

  constructor(
    private readonly config: AuditSyslogConfig,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    this.tls = config.protocol === 'tls' ? tlsOptions(config) : undefined;
    if (config.protocol === 'udp') {
      this.udp = createSocket(config.host.includes(':') ? 'udp6' : 'udp4');
      this.udp.on('error', (err) => this.logger.warn({ err }, 'audit syslog: UDP error'));
      this.udp.unref();
    } else this.open();
  }

  send(message: string): void {
    if (this.closed) return;
    if (this.udp) {
      this.udp.send(
        Buffer.from(message),
        this.config.port,
        this.config.host,
        (err) => err && this.logger.warn({ err }, 'audit syslog: message not sent'),
      );
      return;
    }
    if (this.connected && this.tcp) this.tcp.write(frame(message));
    else this.enqueue(message);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnect);
    if (this.udp) await new Promise<void>((resolve) => this.udp!.close(() => resolve()));
    if (this.tcp) await new Promise<void>((resolve) => this.tcp!.end(() => resolve()));
  }

  private enqueue(message: string): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift();
      if (this.dropped++ % 1000 === 0)
        this.logger.warn(
          { dropped: this.dropped },
          'audit syslog collector unreachable: live copies dropped (the chain keeps them; use audit export)',
        );
    }
    this.queue.push(message);
  }

  private open(): void {
    const socket = this.tls ? connectTls(this.tls) : connect({ host: this.config.host, port: this.config.port });
    this.tcp = socket;
    socket.unref();
    socket.on(this.tls ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      const waiting = this.queue;
      this.queue = [];
      for (const m of waiting) socket.write(frame(m));
    });
    socket.on('error', (err) => this.logger.warn({ err }, `audit syslog: ${this.tls ? 'TLS' : 'TCP'} error`));
    socket.on('close', () => {
      this.connected = false;
      if (this.closed) return;
      this.reconnect = setTimeout(() => this.open(), RECONNECT_MS);
      this.reconnect.unref();
    });
  }
}

function tlsOptions(c: AuditSyslogConfig): ConnectionOptions {
  const pem = (what: 'ca' | 'cert' | 'key') => {
    const file = c[what];
    if (!file) return {};
    try {
      return { [what]: readFileSync(file) };
    } catch (e) {
      throw new ConfigError(`security.auditSyslog.${what}: cannot read ${file}: ${(e as Error).message}`);
    }
  };
  return {
    host: c.host,
    port: c.port,
    ...(c.servername || !isIP(c.host) ? { servername: c.servername ?? c.host } : {}),
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    ...pem('ca'),
    ...pem('cert'),
    ...pem('key'),
  };
}

/** RFC 6587 / RFC 5425 octet counting: "LENGTH SP MESSAGE". */
function frame(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}
