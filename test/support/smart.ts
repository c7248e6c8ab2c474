/**
 * SMART backend-services clients for tests: a real key pair, registered with the real CLI
 * (`imaging-bridge clients add`), and real signed client assertions exchanged at the real
 * token endpoint.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { REPO_ROOT } from './server.js';

export interface TestClient {
  clientId: string;
  privateKey: CryptoKey;
  kid: string;
  alg: 'ES384' | 'RS384';
}

/** Runs the CLI (src via tsx) and resolves with stdout; rejects with stderr on a non-zero exit. */
export function runCli(args: string[], timeout = 60_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args],
      { cwd: REPO_ROOT, timeout },
      (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

/** A key pair and its public JWKS file; registered through `clients add` with these scopes (and extra flags such as --role). */
export async function registerClient(
  dataDir: string,
  clientId: string,
  scope: string,
  extra: string[] = [],
  alg: 'ES384' | 'RS384' = 'ES384',
): Promise<TestClient> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${clientId}-key`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const file = join(dataDir, '..', `${clientId}-${randomUUID()}.jwks.json`);
  writeFileSync(file, JSON.stringify({ keys: [jwk] }));
  const res = await runCli([
    'clients',
    'add',
    '--data-dir',
    dataDir,
    '--client-id',
    clientId,
    '--jwks-file',
    file,
    '--scope',
    scope,
    ...extra,
  ]);
  if (res.code !== 0) throw new Error(`clients add failed (${res.code}): ${res.stderr}`);
  return { clientId, privateKey, kid, alg };
}

/** The token endpoint named by the server's SMART configuration. */
export async function tokenEndpoint(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/.well-known/smart-configuration`);
  if (!res.ok) throw new Error(`smart-configuration: HTTP ${res.status}`);
  return ((await res.json()) as { token_endpoint: string }).token_endpoint;
}

export async function clientAssertion(
  client: TestClient,
  audience: string,
  claims: { exp?: number; jti?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: client.alg, kid: client.kid, typ: 'JWT' })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(claims.exp ?? now + 240)
    .setJti(claims.jti ?? randomUUID())
    .sign(client.privateKey);
}

/** client_credentials with private_key_jwt: the raw token response. */
export async function requestToken(
  baseUrl: string,
  client: TestClient,
  scope: string,
  assertion?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const endpoint = await tokenEndpoint(baseUrl);
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion ?? (await clientAssertion(client, endpoint)),
  });
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** An access token, or an error naming what the server said. */
export async function accessToken(baseUrl: string, client: TestClient, scope: string): Promise<string> {
  const { status, body } = await requestToken(baseUrl, client, scope);
  if (status !== 200 || typeof body.access_token !== 'string')
    throw new Error(`token request failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
}
