import { accessSync, constants } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { isObject } from '../types.js';

/** One external FHIR server, `sections.fhir.servers.<name>` of the config file. */
export interface FhirServerConfig {
  name: string;
  /** FHIR base URL without trailing slash. */
  baseUrl: string;
  auth: { type: 'none' } | { type: 'bearer'; token: string } | SmartBackendAuthConfig;
  /** Per attempt, ms. */
  timeoutMs: number;
  /** Retries after the first attempt on 429, 5xx and network errors. */
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

/**
 * SMART Backend Services as the client: client_credentials with a private_key_jwt assertion
 * signed by `privateKeyFile` (PEM, PKCS#8 or PKCS#1, or a private JWK as JSON).
 */
export interface SmartBackendAuthConfig {
  type: 'smart-backend';
  tokenUrl: string;
  clientId: string;
  privateKeyFile: string;
  alg: 'RS384' | 'ES384';
  scope: string;
  /** The key id registered with the server (default: the JWK's `kid`, if any). */
  kid?: string;
}

export const SERVER_DEFAULTS = {
  timeoutMs: 10_000,
  retries: 3,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 30_000,
} as const;

const NUMBERS: Record<keyof typeof SERVER_DEFAULTS, [number, number]> = {
  timeoutMs: [1, 600_000],
  retries: [0, 10],
  retryBaseDelayMs: [1, 60_000],
  retryMaxDelayMs: [1, 600_000],
};
const KNOWN = ['baseUrl', 'auth', ...Object.keys(NUMBERS)];
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** `fhir.servers`: named external servers. Messages name the key; they never repeat a token. */
export function parseFhirServers(value: unknown): Record<string, FhirServerConfig> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new ConfigError('config "fhir.servers" must be an object of named servers');
  const out: Record<string, FhirServerConfig> = Object.create(null); // keyed by names from the config file
  for (const [name, server] of Object.entries(value)) {
    if (!NAME.test(name))
      throw new ConfigError(`config "fhir.servers.${name}": a server name uses letters, digits, - and _ only`);
    out[name] = parseServer(name, server);
  }
  return out;
}

function parseServer(name: string, value: unknown): FhirServerConfig {
  const at = `fhir.servers.${name}`;
  if (!isObject(value)) throw new ConfigError(`config "${at}" must be an object`);
  for (const key of Object.keys(value)) {
    if (!KNOWN.includes(key)) throw new ConfigError(`config "${at}.${key}" is not known (known: ${KNOWN.join(', ')})`);
  }
  const baseUrl = parseBaseUrl(value.baseUrl, at);
  const auth = parseAuth(value.auth, at);
  if (auth.type !== 'none' && baseUrl.protocol === 'http:' && !isLoopback(baseUrl.hostname)) {
    throw new ConfigError(`config "${at}.baseUrl": a bearer token is only sent over https (or to loopback)`);
  }
  const numbers = { ...SERVER_DEFAULTS } as Record<keyof typeof SERVER_DEFAULTS, number>;
  for (const [key, [min, max]] of Object.entries(NUMBERS) as [keyof typeof SERVER_DEFAULTS, [number, number]][]) {
    const n = value[key];
    if (n === undefined) continue;
    if (!Number.isInteger(n) || (n as number) < min || (n as number) > max)
      throw new ConfigError(`config "${at}.${key}" must be an integer from ${min} to ${max}`);
    numbers[key] = n as number;
  }
  if (numbers.retryBaseDelayMs > numbers.retryMaxDelayMs)
    throw new ConfigError(`config "${at}.retryBaseDelayMs" is larger than retryMaxDelayMs`);
  return { name, baseUrl: baseUrl.href.replace(/\/+$/, ''), auth, ...numbers };
}

function parseBaseUrl(value: unknown, at: string): URL {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ConfigError(`config "${at}.baseUrl" is required (the server's FHIR base URL)`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`config "${at}.baseUrl" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`config "${at}.baseUrl" must be http or https`);
  if (url.search || url.hash || url.username || url.password)
    throw new ConfigError(`config "${at}.baseUrl" must not carry a query, fragment or credentials`);
  return url;
}

function parseAuth(value: unknown, at: string): FhirServerConfig['auth'] {
  if (value === undefined) return { type: 'none' };
  if (!isObject(value))
    throw new ConfigError(`config "${at}.auth" must be an object, e.g. { "type": "bearer", "token": "…" }`);
  if (value.type === 'none' && Object.keys(value).length === 1) return { type: 'none' };
  if (value.type === 'smart-backend') return parseSmartBackend(value, `${at}.auth`);
  if (value.type !== 'bearer')
    throw new ConfigError(`config "${at}.auth.type" must be "bearer", "smart-backend" or "none"`);
  for (const key of Object.keys(value))
    if (key !== 'type' && key !== 'token')
      throw new ConfigError(`config "${at}.auth.${key}" is not known (known: type, token)`);
  const token = value.token;
  if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError(`config "${at}.auth.token" must be a non-empty token of visible ASCII characters`);
  }
  return { type: 'bearer', token };
}

const SMART_KEYS = ['type', 'tokenUrl', 'clientId', 'privateKeyFile', 'alg', 'scope', 'kid'];

function parseSmartBackend(value: Record<string, unknown>, at: string): SmartBackendAuthConfig {
  for (const key of Object.keys(value))
    if (!SMART_KEYS.includes(key))
      throw new ConfigError(`config "${at}.${key}" is not known (known: ${SMART_KEYS.join(', ')})`);
  if (typeof value.tokenUrl !== 'string')
    throw new ConfigError(`config "${at}.tokenUrl" is required (the server's token endpoint)`);
  const tokenUrl = parseBaseUrl(value.tokenUrl, `${at}.tokenUrl`);
  if (tokenUrl.protocol === 'http:' && !isLoopback(tokenUrl.hostname))
    throw new ConfigError(`config "${at}.tokenUrl" must be https (or http to loopback)`);
  const text = (key: string, hint: string): string => {
    const v = value[key];
    if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(`config "${at}.${key}" is required (${hint})`);
    return v;
  };
  const clientId = text('clientId', 'the client id registered with the server');
  const privateKeyFile = text('privateKeyFile', 'a PEM or JWK file with the private key');
  try {
    accessSync(privateKeyFile, constants.R_OK);
  } catch {
    throw new ConfigError(`config "${at}.privateKeyFile": cannot read ${privateKeyFile}`);
  }
  if (value.alg !== 'RS384' && value.alg !== 'ES384')
    throw new ConfigError(`config "${at}.alg" must be "RS384" or "ES384"`);
  const scope = text('scope', 'e.g. "system/*.rs"');
  if (value.kid !== undefined && (typeof value.kid !== 'string' || value.kid === ''))
    throw new ConfigError(`config "${at}.kid" must be a non-empty string`);
  return {
    type: 'smart-backend',
    tokenUrl: tokenUrl.href,
    clientId,
    privateKeyFile,
    alg: value.alg,
    scope,
    ...(value.kid ? { kid: value.kid as string } : {}),
  };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
