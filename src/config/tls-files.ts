import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import type { Config } from './schema.js';

/** The HTTPS certificate and key named by --tls-cert and --tls-key, read at start-up (undefined: plain HTTP). */
export function readTlsFiles(config: Pick<Config, 'tlsCert' | 'tlsKey'>): { cert: Buffer; key: Buffer } | undefined {
  if (!config.tlsCert || !config.tlsKey) return undefined;
  return { cert: readPem(config.tlsCert, '--tls-cert'), key: readPem(config.tlsKey, '--tls-key') };
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
}
