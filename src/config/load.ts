import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError } from '../core/errors.js';
import { isLoopback } from '../core/loopback.js';
import { resolveBlobStore } from './blob-store.js';
import {
  DEFAULTS,
  OPTIONS,
  SECTION_KEYS,
  envName,
  kebab,
  type Config,
  type ConfigSections,
  type OptionSpec,
} from './schema.js';

type Raw = Partial<Record<keyof Config, unknown>>;

/**
 * defaults ← config file ← environment ← flags. `env` is passed in by the entry point:
 * nothing else in the code base reads process.env.
 */
export function loadConfig(flags: Record<string, string | undefined>, env: Record<string, string | undefined>): Config {
  const fromFlags: Raw = {};
  for (const [name, value] of Object.entries(flags)) {
    if (name === 'config') continue;
    const spec = OPTIONS.find((o) => kebab(o.key) === name);
    if (!spec) throw new ConfigError(`unknown option --${name}`);
    fromFlags[spec.key] = value;
  }
  const fromEnv: Raw = {};
  for (const spec of OPTIONS) {
    const v = env[envName(spec.key)];
    if (v !== undefined && v !== '') fromEnv[spec.key] = v;
  }
  const file = flags.config ?? env.IMAGING_BRIDGE_CONFIG;
  const { options: fromFile, sections } = file ? readConfigFile(file) : { options: {}, sections: {} };
  const merged: Raw = { ...DEFAULTS, ...fromFile, ...fromEnv, ...fromFlags };
  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    const v = merged[spec.key];
    out[spec.key] = v === undefined ? undefined : coerce(spec, v);
  }
  const config = out as unknown as Config;
  config.sections = sections;
  config.blobs = resolveBlobStore(config.blobStore, config.dataDir, env);
  // The key itself only from the environment (a flag would show in process lists).
  if (env.IMAGING_BRIDGE_ENCRYPTION_KEY) config.encryptionKey = env.IMAGING_BRIDGE_ENCRYPTION_KEY;
  if (!config.publicUrl) {
    const host = isIP(config.host) === 6 ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
    config.publicUrl = `${config.tlsCert ? 'https' : 'http'}://${host}:${config.httpPort}`;
  }
  config.publicUrl = config.publicUrl.replace(/\/+$/, '');
  validate(config);
  return config;
}

function readConfigFile(path: string): { options: Raw; sections: ConfigSections } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  const options: Raw = {};
  const sections: ConfigSections = {};
  for (const [key, value] of Object.entries(parsed)) {
    // `database` is the URL, or an object with the URL and the lease settings (database.lease).
    if (key === 'database' && value && typeof value === 'object' && !Array.isArray(value)) {
      const { url, ...rest } = value as Record<string, unknown>;
      if (url !== undefined) options.database = url;
      sections.database = rest;
    } else if ((SECTION_KEYS as readonly string[]).includes(key)) sections[key as keyof ConfigSections] = value;
    else if (OPTIONS.some((o) => o.key === key)) options[key as keyof Config] = value;
    else throw new ConfigError(`config file ${path}: unknown key "${key}"`);
  }
  return { options, sections };
}

function coerce(spec: OptionSpec, v: unknown): unknown {
  const where = `--${kebab(spec.key)} / ${envName(spec.key)}`;
  switch (spec.type) {
    case 'string':
      if (typeof v !== 'string' || v === '') throw new ConfigError(`${where}: expected a non-empty string`);
      return v;
    case 'enum':
      if (typeof v !== 'string' || !spec.values!.includes(v))
        throw new ConfigError(`${where}: expected one of ${spec.values!.join(', ')}, got "${String(v)}"`);
      return v;
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === '1' || v === '') return true;
      if (v === 'false' || v === '0') return false;
      throw new ConfigError(`${where}: expected true or false, got "${String(v)}"`);
    case 'port':
    case 'int': {
      const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN;
      const max = spec.type === 'port' ? 65535 : Number.MAX_SAFE_INTEGER;
      if (!Number.isInteger(n) || n < 0 || n > max)
        throw new ConfigError(
          `${where}: expected ${spec.type === 'port' ? 'a port number 0-65535' : 'a non-negative integer'}, got "${String(v)}"`,
        );
      return n;
    }
  }
}

function validate(c: Config): void {
  try {
    const u = new URL(c.publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`--public-url: "${c.publicUrl}" is not an http(s) URL`);
  }
  if (c.auth === 'none' && !isLoopback(c.host)) {
    throw new ConfigError(
      `--auth none serves patient data without authentication and is allowed on a loopback --host only (got "${c.host}")`,
    );
  }
  if (c.database !== undefined && !/^postgres(ql)?:\/\/./.test(c.database)) {
    throw new ConfigError(
      '--database: expected a postgres:// or postgresql:// URL (PostgreSQL is the only external database)',
    );
  }
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together: give both for HTTPS, or neither');
  }
  if (c.encryptionKey !== undefined && c.encryptionKeyFile !== undefined) {
    throw new ConfigError('--encryption-key-file and IMAGING_BRIDGE_ENCRYPTION_KEY: give the key one way, not both');
  }
  if (c.tokenLifetime < 30 || c.tokenLifetime > 3600) {
    throw new ConfigError(`--token-lifetime: ${c.tokenLifetime} s is outside 30-3600 (SMART recommends at most 300)`);
  }
  if (c.publicRequestTimeout < 1 || c.publicRequestTimeout > 300) {
    throw new ConfigError(`--public-request-timeout: ${c.publicRequestTimeout} s is outside 1-300`);
  }
}
