import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ClientStore } from './client-store.js';
import { UNMATCHABLE_HASH, verifySecret } from './password-hash.js';

/**
 * client_secret_basic with hashed secrets. oidc-provider compares the presented secret with the
 * client's `client_secret` metadata, which for us is the stored scrypt hash. Before handing the
 * request over, the presented secret is checked against that hash and replaced: by the hash when
 * it matches, by random bytes when it does not — so presenting the hash itself never works.
 */
export async function swapBasicSecret(req: IncomingMessage, clients: ClientStore): Promise<void> {
  const header = req.headers.authorization;
  if (!header || !/^basic /i.test(header)) return;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return;
  const [rawId, rawSecret] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  let clientId: string;
  let secret: string;
  try {
    clientId = decodeURIComponent(rawId.replace(/\+/g, ' '));
    secret = decodeURIComponent(rawSecret.replace(/\+/g, ' '));
  } catch {
    return; // oidc-provider answers invalid_client for a malformed header
  }
  const stored = (await clients.get(clientId))?.secretHash;
  // An unknown client costs what a known one does: its existence does not show in the timing.
  const matches = await verifySecret(secret, stored ?? UNMATCHABLE_HASH);
  const replacement = stored && matches ? stored : randomBytes(24).toString('base64url');
  const encoded = `${encodeURIComponent(clientId)}:${encodeURIComponent(replacement)}`;
  req.headers.authorization = `Basic ${Buffer.from(encoded).toString('base64')}`;
}
