import { createPrivateKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FhirAuthError } from './errors.js';
import type { SmartBackendAuthConfig } from './server-config.js';

/**
 * The FHIR client as a SMART Backend Services client: a client_credentials token request
 * authenticated by a private_key_jwt assertion (iss = sub = client id, aud = token URL, 5 min,
 * unique jti), the token cached until shortly before it expires, fetched again after a 401.
 * Concurrent callers share one token request.
 */
export interface SmartBackendAuthOptions {
  fetch?: typeof fetch;
  /** ms since the epoch. */
  now?: () => number;
  timeoutMs?: number;
}

const ASSERTION_SECONDS = 300;
/** Renew this long before expiry (but not before half the lifetime of a very short-lived token). */
const EARLY_SECONDS = 30;

export class SmartBackendAuth {
  private cached?: { header: string; renewAt: number };
  private pending?: Promise<string>;
  private key?: { key: KeyObject; kid?: string };
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(
    private readonly config: SmartBackendAuthConfig,
    private readonly options: SmartBackendAuthOptions = {},
  ) {
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /** `Bearer …` for the next request. */
  async authorization(): Promise<string> {
    if (this.cached && this.now() < this.cached.renewAt) return this.cached.header;
    this.pending ??= this.requestToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The server refused the token (401): the next request gets a fresh one. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async requestToken(): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: this.config.scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await this.assertion(),
    });
    const started = this.now();
    let res: Response;
    try {
      res = await this.fetch(this.config.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        redirect: 'error',
      });
    } catch (cause) {
      throw new FhirAuthError('the token endpoint could not be reached', { cause });
    }
    const answer = (await res.json().catch(() => ({}))) as {
      access_token?: unknown;
      token_type?: unknown;
      expires_in?: unknown;
      error?: unknown;
    };
    if (!res.ok || typeof answer.access_token !== 'string') {
      // The OAuth error code only: descriptions may echo request details.
      throw new FhirAuthError(`HTTP ${res.status}${typeof answer.error === 'string' ? ` ${answer.error}` : ''}`);
    }
    if (typeof answer.token_type === 'string' && answer.token_type.toLowerCase() !== 'bearer')
      throw new FhirAuthError(`unsupported token_type ${answer.token_type}`);
    const lifetime = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : 300;
    const header = `Bearer ${answer.access_token}`;
    this.cached = { header, renewAt: started + Math.max(lifetime - EARLY_SECONDS, lifetime / 2) * 1000 };
    return header;
  }

  private async assertion(): Promise<string> {
    const { key, kid } = (this.key ??= loadKey(this.config));
    const now = Math.floor(this.now() / 1000);
    // Loaded at the first token: most clients (the bridge's sync thread among them) never sign.
    const { SignJWT } = await import('jose');
    return new SignJWT({})
      .setProtectedHeader({ alg: this.config.alg, typ: 'JWT', ...(kid ? { kid } : {}) })
      .setIssuer(this.config.clientId)
      .setSubject(this.config.clientId)
      .setAudience(this.config.tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_SECONDS)
      .setJti(randomUUID())
      .sign(key);
  }
}

/** PEM (PKCS#8 / PKCS#1 / SEC1) or a private JWK (JSON); its type must fit the algorithm. */
function loadKey(c: SmartBackendAuthConfig): { key: KeyObject; kid?: string } {
  let text: string;
  try {
    text = readFileSync(c.privateKeyFile, 'utf8');
  } catch (cause) {
    throw new FhirAuthError('the private key file cannot be read', { cause });
  }
  let key: KeyObject;
  let kid = c.kid;
  try {
    if (text.trimStart().startsWith('{')) {
      const jwk = JSON.parse(text) as JsonWebKey & { kid?: string };
      kid ??= jwk.kid;
      key = createPrivateKey({ key: jwk, format: 'jwk' });
    } else key = createPrivateKey(text);
  } catch (cause) {
    throw new FhirAuthError('the private key file holds no usable private key', { cause });
  }
  const fits =
    c.alg === 'RS384'
      ? key.asymmetricKeyType === 'rsa'
      : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
  if (!fits)
    throw new FhirAuthError(`the private key does not fit ${c.alg} (${c.alg === 'RS384' ? 'RSA' : 'EC P-384'} needed)`);
  return { key, kid };
}
