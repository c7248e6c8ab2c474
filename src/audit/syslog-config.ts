import { ConfigError } from '../core/errors.js';

export interface AuditSyslogConfig {
  host: string;
  port: number;
  /**
   * UDP (RFC 5426, one datagram per message), TCP (RFC 6587 octet counting) or TLS (RFC 5425:
   * octet counting over TLS 1.2+, the transport IHE ATNA requires).
   */
  protocol: 'udp' | 'tcp' | 'tls';
  /** HOSTNAME in each message (default: the machine's host name). */
  hostname?: string;
  /** TLS: PEM file of the CA(s) the collector's certificate must chain to (default: the system CAs). */
  ca?: string;
  /** TLS: PEM files of our client certificate and key (ATNA: mutual node authentication). */
  cert?: string;
  key?: string;
  /** TLS: the name the collector's certificate must carry (default: host). */
  servername?: string;
  /**
   * Largest message sent, in octets (default 2048 over UDP, 8192 over TCP/TLS: what RFC 5426 and
   * RFC 5425 say receivers should accept). A longer record is split into parts (syslog-format.ts).
   */
  maxMessageBytes?: number;
}

/** The configured limit, or the default of the protocol. */
export const maxMessageBytesOf = (c: AuditSyslogConfig): number =>
  c.maxMessageBytes ?? (c.protocol === 'udp' ? 2048 : 8192);

const KEYS = ['host', 'port', 'protocol', 'hostname', 'ca', 'cert', 'key', 'servername', 'maxMessageBytes'];
const MIN_MESSAGE = 1024;
const MAX_MESSAGE = 65_000;

/** `security.auditSyslog` of the config file; absent → no live export. Other keys of `security` are not ours. */
export function parseAuditSyslogConfig(security: unknown): AuditSyslogConfig | undefined {
  if (security === undefined || security === null) return undefined;
  if (typeof security !== 'object' || Array.isArray(security)) throw new ConfigError('security: must be an object');
  if (!Object.hasOwn(security, 'auditSyslog')) return undefined;
  const raw = (security as Record<string, unknown>).auditSyslog;
  const where = 'security.auditSyslog';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(`${where}: must be an object { host, port, protocol }`);
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KEYS.includes(k));
  if (unknown.length)
    throw new ConfigError(`${where}: unknown key(s) ${unknown.join(', ')} (expected ${KEYS.join(', ')})`);
  if (typeof o.host !== 'string' || !o.host) throw new ConfigError(`${where}.host: must be a host name or address`);
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535)
    throw new ConfigError(`${where}.port: must be an integer 1-65535`);
  const protocol = o.protocol ?? 'udp';
  if (protocol !== 'udp' && protocol !== 'tcp' && protocol !== 'tls')
    throw new ConfigError(`${where}.protocol: must be "udp", "tcp" or "tls"`);
  const strings = new Map<string, string>();
  for (const k of ['hostname', 'ca', 'cert', 'key', 'servername']) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !v) throw new ConfigError(`${where}.${k}: must be a non-empty string`);
    if (k !== 'hostname' && protocol !== 'tls') throw new ConfigError(`${where}.${k}: only with "protocol": "tls"`);
    strings.set(k, v);
  }
  if (strings.has('cert') !== strings.has('key')) throw new ConfigError(`${where}: cert and key go together`);
  const max = o.maxMessageBytes ?? maxMessageBytesOf({ host: o.host, port: o.port, protocol });
  if (typeof max !== 'number' || !Number.isInteger(max) || max < MIN_MESSAGE || max > MAX_MESSAGE)
    throw new ConfigError(`${where}.maxMessageBytes: must be an integer ${MIN_MESSAGE}-${MAX_MESSAGE}`);
  return { host: o.host, port: o.port, protocol, maxMessageBytes: max, ...Object.fromEntries(strings) };
}
