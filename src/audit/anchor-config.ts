import { ConfigError } from '../core/errors.js';

/** `security.auditAnchor`: where the signed checkpoint is copied, off this host, and how often. */
export interface AuditAnchorConfig {
  /** Seconds between copies (only when the checkpoint moved); default 300. */
  intervalSeconds: number;
  /** A file on another volume / host mount, appended to (one JSON line per copy). */
  file?: string;
  /** An http(s) URL the checkpoint is POSTed to as JSON. */
  url?: string;
  /** Also send it through the syslog export (`security.auditSyslog`), MSGID CHECKPOINT. */
  syslog: boolean;
}

const KEYS = ['intervalSeconds', 'file', 'url', 'syslog'];

/** `security.auditAnchor` of the config file; absent → no anchoring. Other keys of `security` are not ours. */
export function parseAuditAnchorConfig(security: unknown): AuditAnchorConfig | undefined {
  if (security === undefined || security === null || typeof security !== 'object' || Array.isArray(security))
    return undefined;
  if (!Object.hasOwn(security, 'auditAnchor')) return undefined;
  const raw = (security as Record<string, unknown>).auditAnchor;
  const where = 'security.auditAnchor';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(`${where}: must be an object { intervalSeconds, file, url, syslog }`);
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KEYS.includes(k));
  if (unknown.length)
    throw new ConfigError(`${where}: unknown key(s) ${unknown.join(', ')} (expected ${KEYS.join(', ')})`);
  const interval = o.intervalSeconds ?? 300;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 1 || interval > 86_400)
    throw new ConfigError(`${where}.intervalSeconds: must be a number of seconds, 1-86400`);
  if (o.file !== undefined && (typeof o.file !== 'string' || !o.file))
    throw new ConfigError(`${where}.file: must be a file path`);
  if (o.url !== undefined) {
    let url: URL | undefined;
    try {
      url = typeof o.url === 'string' ? new URL(o.url) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      throw new ConfigError(`${where}.url: must be an http(s) URL`);
  }
  if (o.syslog !== undefined && typeof o.syslog !== 'boolean')
    throw new ConfigError(`${where}.syslog: must be true or false`);
  if (o.syslog === true && !Object.hasOwn(security, 'auditSyslog'))
    throw new ConfigError(`${where}.syslog: needs security.auditSyslog (where to send it)`);
  if (o.file === undefined && o.url === undefined && o.syslog !== true)
    throw new ConfigError(`${where}: name at least one of file, url, syslog`);
  return {
    intervalSeconds: interval,
    syslog: o.syslog === true,
    ...(o.file ? { file: o.file as string } : {}),
    ...(o.url ? { url: o.url as string } : {}),
  };
}
