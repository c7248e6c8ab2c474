import { ConfigError } from '../core/errors.js';

export interface AuditSyslogConfig {
  host: string;
  port: number;
  /** UDP (RFC 5426, one datagram per message) or TCP (RFC 6587 octet counting). */
  protocol: 'udp' | 'tcp';
  /** HOSTNAME in each message (default: the machine's host name). */
  hostname?: string;
}

/** `security.auditSyslog` of the config file; absent → no live export. Other keys of `security` are not ours. */
export function parseAuditSyslogConfig(security: unknown): AuditSyslogConfig | undefined {
  if (security === undefined || security === null) return undefined;
  if (typeof security !== 'object' || Array.isArray(security)) throw new ConfigError('security: must be an object');
  const raw = (security as Record<string, unknown>).auditSyslog;
  if (raw === undefined) return undefined;
  const where = 'security.auditSyslog';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${where}: must be an object { host, port, protocol }`);
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !['host', 'port', 'protocol', 'hostname'].includes(k));
  if (unknown.length) throw new ConfigError(`${where}: unknown key(s) ${unknown.join(', ')} (expected host, port, protocol, hostname)`);
  if (typeof o.host !== 'string' || !o.host) throw new ConfigError(`${where}.host: must be a host name or address`);
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new ConfigError(`${where}.port: must be an integer 1-65535`);
  const protocol = o.protocol ?? 'udp';
  if (protocol !== 'udp' && protocol !== 'tcp') throw new ConfigError(`${where}.protocol: must be "udp" or "tcp"`);
  if (o.hostname !== undefined && (typeof o.hostname !== 'string' || !o.hostname)) throw new ConfigError(`${where}.hostname: must be a non-empty string`);
  return { host: o.host, port: o.port, protocol, ...(o.hostname ? { hostname: o.hostname as string } : {}) };
}
