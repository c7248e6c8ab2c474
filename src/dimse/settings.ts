import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError } from '../core/errors.js';

/** Who may open an association: a calling AE title ('*' = any) from one of these IP addresses. */
export interface AllowRule {
  aet: string;
  hosts: string[];
}

/** A remote AE we connect to (C-MOVE destination). */
export interface Peer {
  host: string;
  port: number;
  tls: boolean;
}

export interface TlsSettings {
  cert: Buffer;
  key: Buffer;
  /** Set: clients must present a certificate signed by it (and peers' certificates are checked against it). */
  ca?: Buffer;
}

/** The validated DIMSE settings: the core options plus `sections.dimse` of the config file. */
export interface DimseSettings {
  aeTitle: string;
  host: string;
  port: number;
  /** Largest PDU we accept (and announce in A-ASSOCIATE-AC). */
  maxPduLength: number;
  maxAssociations: number;
  /** Connection open without an A-ASSOCIATE-RQ (PS3.8 ARTIM) for this long: closed. */
  artimTimeoutMs: number;
  /** No bytes either way for this long: A-ABORT and close. */
  idleTimeoutMs: number;
  /** undefined: any calling AE from a loopback address (only allowed with --auth none). */
  allow?: AllowRule[];
  peers: Map<string, Peer>;
  tls?: TlsSettings;
}

export interface CoreOptions {
  dicomAet: string;
  host: string;
  dicomPort: number;
  auth: string;
}

const KEYS = ['maxPduLength', 'maxAssociations', 'artimTimeoutMs', 'idleTimeoutMs', 'allow', 'peers', 'tls'];
const where = (path: string) => `config file "dimse".${path}`;

/** Validates `sections.dimse` at start-up; every problem is a ConfigError naming the key. */
export function parseDimseSettings(core: CoreOptions, section: unknown): DimseSettings {
  const raw = section === undefined ? {} : section;
  if (!isObject(raw)) throw new ConfigError('config file "dimse" must be an object');
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key))
      throw new ConfigError(`config file "dimse": unknown key "${key}" (known: ${KEYS.join(', ')})`);
  }
  const aeTitle = aet(core.dicomAet, '--dicom-aet');
  // Secure by default: with authorization on and no allow-list, no calling AE is accepted
  // (the server still starts; `dimse.allow` opens it to named AE titles and hosts).
  const allow = raw.allow === undefined ? (core.auth === 'none' ? undefined : []) : allowRules(raw.allow);
  const tls = raw.tls === undefined ? undefined : tlsSettings(raw.tls);
  const peers = peerMap(raw.peers, tls !== undefined);
  return {
    aeTitle,
    host: core.host,
    port: core.dicomPort,
    maxPduLength: int(raw.maxPduLength, 'maxPduLength', 262_144, 4_096, 16 * 1024 * 1024),
    maxAssociations: int(raw.maxAssociations, 'maxAssociations', 32, 1, 10_000),
    artimTimeoutMs: int(raw.artimTimeoutMs, 'artimTimeoutMs', 30_000, 100, 3_600_000),
    idleTimeoutMs: int(raw.idleTimeoutMs, 'idleTimeoutMs', 120_000, 100, 86_400_000),
    allow,
    peers,
    tls,
  };
}

/** AE titles: 1–16 characters of the default repertoire, no backslash, not only spaces (PS3.5 6.2). */
export function aet(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(value) || value.trim() === '') {
    throw new ConfigError(
      `${name}: "${String(value)}" is not an AE title (1-16 printable ASCII characters, no backslash)`,
    );
  }
  return value.trim();
}

function int(v: unknown, key: string, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${where(key)}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function allowRules(v: unknown): AllowRule[] {
  if (!Array.isArray(v))
    throw new ConfigError(`${where('allow')}: expected a list of {"aet": "...", "hosts": ["ip", ...]}`);
  return v.map((rule, i) => {
    const at = `allow[${i}]`;
    if (!isObject(rule)) throw new ConfigError(`${where(at)}: expected {"aet": "...", "hosts": ["ip", ...]}`);
    const title = rule.aet === '*' ? '*' : aet(rule.aet, where(`${at}.aet`));
    if (!Array.isArray(rule.hosts) || rule.hosts.length === 0) {
      throw new ConfigError(`${where(`${at}.hosts`)}: expected a non-empty list of IP addresses`);
    }
    const hosts = rule.hosts.map((h) => {
      if (typeof h !== 'string' || isIP(h) === 0) {
        throw new ConfigError(
          `${where(`${at}.hosts`)}: "${String(h)}" is not an IP address (host names are not resolved)`,
        );
      }
      return h;
    });
    return { aet: title, hosts };
  });
}

function peerMap(v: unknown, haveTls: boolean): Map<string, Peer> {
  const peers = new Map<string, Peer>();
  if (v === undefined) return peers;
  if (!isObject(v)) throw new ConfigError(`${where('peers')}: expected {"AE_TITLE": {"host": "...", "port": 104}}`);
  for (const [title, p] of Object.entries(v)) {
    const name = aet(title, where(`peers key`));
    const at = `peers.${title}`;
    if (!isObject(p)) throw new ConfigError(`${where(at)}: expected {"host": "...", "port": 104}`);
    if (typeof p.host !== 'string' || p.host === '')
      throw new ConfigError(`${where(`${at}.host`)}: expected a host name or IP address`);
    const port = p.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError(`${where(`${at}.port`)}: expected a port number 1-65535, got ${JSON.stringify(port)}`);
    }
    if (p.tls !== undefined && typeof p.tls !== 'boolean')
      throw new ConfigError(`${where(`${at}.tls`)}: expected true or false`);
    if (p.tls && !haveTls) throw new ConfigError(`${where(`${at}.tls`)}: needs "dimse".tls (our certificate and CA)`);
    peers.set(name, { host: p.host, port, tls: p.tls === true });
  }
  return peers;
}

function tlsSettings(v: unknown): TlsSettings {
  if (!isObject(v)) throw new ConfigError(`${where('tls')}: expected {"cert": "file", "key": "file", "ca": "file"}`);
  for (const key of Object.keys(v)) {
    if (!['cert', 'key', 'ca'].includes(key))
      throw new ConfigError(`${where('tls')}: unknown key "${key}" (known: cert, key, ca)`);
  }
  const read = (key: string, required: boolean): Buffer | undefined => {
    const path = v[key];
    if (path === undefined && !required) return undefined;
    if (typeof path !== 'string' || path === '')
      throw new ConfigError(`${where(`tls.${key}`)}: expected the path of a PEM file`);
    try {
      return readFileSync(path);
    } catch (e) {
      throw new ConfigError(`${where(`tls.${key}`)}: cannot read ${path}: ${(e as Error).message}`);
    }
  };
  return { cert: read('cert', true)!, key: read('key', true)!, ca: read('ca', false) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
