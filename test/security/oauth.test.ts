import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuthorizationServer, type AuthorizationServer, type OAuthEvent } from '../../src/security/oauth/index.js';
import { ClientStore } from '../../src/security/oauth/client-store.js';
import { openSecurityDb, type SqliteSecurityStore } from '../../src/security/oauth/sqlite-security-store.js';
import { UserStore } from '../../src/security/oauth/user-store.js';
import { InvalidTokenError } from '../../src/auth/principal.js';

const run = promisify(execFile);
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let dataDir: string;
let publicUrl: string;
let tokenUrl: string;
let app: FastifyInstance;
let auth: AuthorizationServer;
let db: SqliteSecurityStore;
let jwksServer: Server;
let idpKey: CryptoKey;
const events: OAuthEvent[] = [];
const keys: Record<'RS384' | 'ES384', { privateKey: CryptoKey; jwk: JWK }> = {} as never;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function keyPair(alg: 'RS384' | 'ES384', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

function assertion(
  clientId: string,
  alg: 'RS384' | 'ES384',
  o: { key?: CryptoKey; kid?: string; aud?: string; exp?: number; jti?: string; sub?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, kid: o.kid ?? keys[alg].jwk.kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(o.sub ?? clientId)
    .setAudience(o.aud ?? tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(o.exp ?? now + 240)
    .setJti(o.jti ?? randomUUID())
    .sign(o.key ?? keys[alg].privateKey);
}

async function tokenRequest(params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(tokenUrl, { method: 'POST', headers, body: new URLSearchParams(params) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

const backendToken = async (
  clientId: string,
  alg: 'RS384' | 'ES384',
  scope: string,
  o: Parameters<typeof assertion>[2] = {},
) =>
  tokenRequest({
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion(clientId, alg, o),
  });

const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--data-dir', dataDir], {
    cwd: join(import.meta.dirname, '../..'),
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ib-oauth-'));
  keys.RS384 = await keyPair('RS384', 'rsa-1');
  keys.ES384 = await keyPair('ES384', 'ec-1');
  // The external identity provider: a JWKS over HTTP.
  const idp = await generateKeyPair('ES256');
  idpKey = idp.privateKey;
  const idpJwks = JSON.stringify({ keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256' }] });
  jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(idpJwks));
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/certs`;

  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  tokenUrl = `${publicUrl}/oauth/token`;
  auth = await openAuthorizationServer({
    dataDir,
    publicUrl,
    tokenLifetime: 300,
    section: {
      externalIssuers: [
        {
          issuer: 'https://idp.example/realms/hospital',
          jwksUri,
          audience: `${publicUrl}/fhir`,
          scopeClaim: 'scp',
          rolesClaim: 'realm_access.roles',
          roleMap: { Radiologist: 'radiologist' },
        },
      ],
    },
    logger: pino({ level: 'silent' }),
    onEvent: (e) => events.push(e),
  });
  app = Fastify();
  auth.register(app);
  await app.listen({ port, host: '127.0.0.1' });
  db = openSecurityDb(dataDir);
  const clients = new ClientStore(db);
  await clients.add({
    clientId: 'ai-rsa',
    scope: 'system/ImagingStudy.rs system/*.read system/Observation.c',
    jwks: { keys: [keys.RS384.jwk] },
  });
  await clients.add({ clientId: 'ai-ec', scope: 'system/ImagingStudy.rs', jwks: { keys: [keys.ES384.jwk] } });
  await clients.add({ clientId: 'sym', scope: 'system/Patient.rs', secret: 'a-very-long-shared-secret' });
  await clients.add({
    clientId: 'viewer',
    scope:
      'openid fhirUser launch/patient patient/*.rs patient/Observation.rs?category=laboratory user/ImagingStudy.rs',
    redirectUris: [`${publicUrl}/callback`],
  });
  await new UserStore(db).add({
    username: 'cathy',
    password: 'correct horse battery',
    role: 'clinician',
    fhirUser: 'Practitioner/17',
    patient: 'HTEST-1',
  });
});

afterAll(async () => {
  await app?.close();
  await auth?.close();
  await db?.close();
  jwksServer?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('discovery', () => {
  it('serves the SMART configuration at the root and under /fhir with absolute URLs from the public URL', async () => {
    for (const path of ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']) {
      const res = await fetch(`${publicUrl}${path}`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as Record<string, string[] & string>;
      expect(doc).toMatchObject({
        issuer: `${publicUrl}/oauth`,
        jwks_uri: `${publicUrl}/oauth/jwks`,
        authorization_endpoint: `${publicUrl}/oauth/auth`,
        token_endpoint: tokenUrl,
        grant_types_supported: ['authorization_code', 'client_credentials'],
        code_challenge_methods_supported: ['S256'],
        response_types_supported: ['code'],
      });
      expect(doc.token_endpoint_auth_methods_supported).toEqual(
        expect.arrayContaining(['private_key_jwt', 'client_secret_basic']),
      );
      expect(doc.token_endpoint_auth_signing_alg_values_supported).toEqual(['RS384', 'ES384']);
      expect(doc.scopes_supported).toEqual(
        expect.arrayContaining(['openid', 'fhirUser', 'launch/patient', 'system/*.rs']),
      );
      for (const c of [
        'launch-standalone',
        'client-public',
        'client-confidential-symmetric',
        'client-confidential-asymmetric',
        'context-standalone-patient',
        'permission-v1',
        'permission-v2',
        'permission-patient',
        'permission-user',
        'sso-openid-connect',
      ]) {
        expect(doc.capabilities).toContain(c);
      }
    }
  });

  it("serves oidc-provider's OpenID configuration and JWKS under the issuer", async () => {
    const doc = (await (await fetch(`${publicUrl}/oauth/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;
    expect(doc.issuer).toBe(`${publicUrl}/oauth`);
    expect(doc.token_endpoint).toBe(tokenUrl);
    const jwks = (await (await fetch(`${publicUrl}/oauth/jwks`)).json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES384', 'RS256']);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    expect(auth.publicRoutes).toEqual([
      '/oauth',
      '/.well-known/smart-configuration',
      '/fhir/.well-known/smart-configuration',
    ]);
  });

  it('keeps its signing keys in the data folder, readable by the owner only', () => {
    expect(statSync(join(dataDir, 'oauth-keys.json')).mode & 0o777).toBe(0o600);
  });
});

describe('backend services (client_credentials + private_key_jwt)', () => {
  it.each(['RS384', 'ES384'] as const)(
    'issues a short-lived JWT access token for an %s client assertion',
    async (alg) => {
      const clientId = alg === 'RS384' ? 'ai-rsa' : 'ai-ec';
      const { status, body } = await backendToken(clientId, alg, 'system/ImagingStudy.rs');
      expect(status).toBe(200);
      expect(body.token_type.toLowerCase()).toBe('bearer');
      expect(body.expires_in).toBe(300);
      expect(body.scope).toBe('system/ImagingStudy.rs');
      const principal = await auth.verifier.verify(body.access_token);
      expect(principal).toMatchObject({
        kind: 'client',
        clientId,
        subject: clientId,
        issuer: `${publicUrl}/oauth`,
        scope: 'system/ImagingStudy.rs',
        roles: ['ai-service'],
      });
      expect(principal.expiresAt! - Date.now() / 1000).toBeLessThanOrEqual(300);
      expect(decodeJwt(body.access_token).aud).toBe(`${publicUrl}/fhir`);
      expect(events).toContainEqual(
        expect.objectContaining({
          kind: 'token-issued',
          clientId,
          jti: principal.jti,
          scope: 'system/ImagingStudy.rs',
        }),
      );
    },
  );

  it('narrows the request to the registered scopes (v1 and v2 forms) and refuses when nothing is left', async () => {
    const { body } = await backendToken(
      'ai-rsa',
      'RS384',
      'system/ImagingStudy.rs system/Patient.read system/Observation.c system/Observation.u system/*.cruds patient/Patient.rs',
    );
    expect(body.scope).toBe('system/ImagingStudy.rs system/Patient.read system/Observation.c');
    const refused = await backendToken('ai-ec', 'ES384', 'system/Patient.rs');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_scope');
  });

  it('refuses an expired assertion, a wrong key, a wrong audience, a too-long assertion and a replayed jti', async () => {
    const now = Math.floor(Date.now() / 1000);
    const other = await keyPair('ES384', 'ec-1');
    const cases = [
      await backendToken('ai-ec', 'ES384', 'system/ImagingStudy.rs', { exp: now - 60 }),
      await backendToken('ai-ec', 'ES384', 'system/ImagingStudy.rs', { key: other.privateKey }),
      await backendToken('ai-ec', 'ES384', 'system/ImagingStudy.rs', { aud: `${publicUrl}/fhir` }),
      await backendToken('ai-ec', 'ES384', 'system/ImagingStudy.rs', { exp: now + 3600 }),
      await backendToken('ai-ec', 'ES384', 'system/ImagingStudy.rs', { sub: 'someone-else' }),
      await backendToken('ai-ec', 'RS384', 'system/ImagingStudy.rs'), // ai-ec registered an EC key only
    ];
    for (const c of cases) expect(c).toMatchObject({ status: 401, body: { error: 'invalid_client' } });

    const jti = randomUUID();
    expect((await backendToken('ai-ec', 'ES384', 'system/ImagingStudy.rs', { jti })).status).toBe(200);
    const replay = await backendToken('ai-ec', 'ES384', 'system/ImagingStudy.rs', { jti });
    expect(replay).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(events.at(-1)).toMatchObject({ kind: 'token-denied', clientId: 'ai-ec' });
    expect(events.at(-1)!.reason).toContain('only be used once');
  });

  it('accepts client_secret_basic against the stored hash, never the hash itself', async () => {
    const basic = (secret: string) => ({ authorization: `Basic ${Buffer.from(`sym:${secret}`).toString('base64')}` });
    const ok = await tokenRequest(
      { grant_type: 'client_credentials', scope: 'system/Patient.rs' },
      basic('a-very-long-shared-secret'),
    );
    expect(ok.status).toBe(200);
    expect((await auth.verifier.verify(ok.body.access_token)).clientId).toBe('sym');
    expect(
      (await tokenRequest({ grant_type: 'client_credentials', scope: 'system/Patient.rs' }, basic('wrong-secret')))
        .status,
    ).toBe(401);
    const hash = (await new ClientStore(db).get('sym'))!.secretHash!;
    expect(
      (
        await tokenRequest(
          { grant_type: 'client_credentials', scope: 'system/Patient.rs' },
          basic(encodeURIComponent(hash)),
        )
      ).status,
    ).toBe(401);
  });

  it('takes a client registered with the CLI while it runs, and stops honouring it once removed', async () => {
    const pair = await keyPair('ES384', 'cli-1');
    const jwksFile = join(dataDir, 'cli-client.jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [pair.jwk] }));
    const before = await backendToken('cli-ai', 'ES384', 'system/ImagingStudy.rs', {
      key: pair.privateKey,
      kid: 'cli-1',
    });
    expect(before.status).toBe(401);

    const added = await cli(
      'clients',
      'add',
      '--client-id',
      'cli-ai',
      '--jwks-file',
      jwksFile,
      '--scope',
      'system/ImagingStudy.rs system/DiagnosticReport.c',
    );
    expect(added.stdout).toContain('client cli-ai registered (private_key_jwt, role ai-service)');
    expect((await cli('clients', 'list')).stdout).toContain('cli-ai\tprivate_key_jwt\tai-service');
    const after = await backendToken('cli-ai', 'ES384', 'system/ImagingStudy.rs system/DiagnosticReport.c', {
      key: pair.privateKey,
      kid: 'cli-1',
    });
    expect(after.status).toBe(200);
    expect(after.body.scope).toBe('system/ImagingStudy.rs system/DiagnosticReport.c');

    await cli('clients', 'remove', '--client-id', 'cli-ai');
    const removed = await backendToken('cli-ai', 'ES384', 'system/ImagingStudy.rs', {
      key: pair.privateKey,
      kid: 'cli-1',
    });
    expect(removed).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  }, 30_000);

  it('refuses a CLI registration that carries a private key', async () => {
    const file = join(dataDir, 'private.jwks.json');
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    writeFileSync(file, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    await expect(
      cli('clients', 'add', '--client-id', 'leaky', '--jwks-file', file, '--scope', 'system/*.rs'),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('private key') });
  }, 30_000);
});

describe('token verifier', () => {
  const ownKey = async (alg: string) => {
    const stored = JSON.parse(readFileSync(join(dataDir, 'oauth-keys.json'), 'utf8')) as { signing: JWK[] };
    const jwk = stored.signing.find((k) => k.alg === alg)!;
    return { key: await importJWK(jwk, alg), kid: jwk.kid! };
  };
  const sign = (
    claims: Record<string, unknown>,
    key: CryptoKey | Uint8Array,
    kid: string,
    o: { iss?: string; aud?: string; exp?: number; alg?: string; typ?: string } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: o.alg ?? 'ES384', kid, typ: o.typ ?? 'at+jwt' })
      .setIssuer(o.iss ?? `${publicUrl}/oauth`)
      .setAudience(o.aud ?? `${publicUrl}/fhir`)
      .setSubject('ai-ec')
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 120)
      .sign(key);
  const rejects = async (token: string, text: string) => {
    const error = await auth.verifier.verify(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect((error as Error).message).toContain(text);
  };

  it('accepts our token and rejects an expired one, a wrong key, a wrong audience and an unknown issuer', async () => {
    const { key, kid } = await ownKey('ES384');
    const claims = { client_id: 'ai-ec', scope: 'system/ImagingStudy.rs', roles: ['ai-service'] };
    expect(await auth.verifier.verify(await sign(claims, key, kid))).toMatchObject({
      kind: 'client',
      clientId: 'ai-ec',
      scope: 'system/ImagingStudy.rs',
    });
    await rejects(await sign(claims, key, kid, { exp: Math.floor(Date.now() / 1000) - 60 }), 'expired');
    await rejects(await sign(claims, (await keyPair('ES384', kid)).privateKey, kid), 'signature');
    await rejects(await sign(claims, key, kid, { aud: 'https://elsewhere.example/fhir' }), 'aud');
    await rejects(await sign(claims, key, kid, { iss: 'https://evil.example' }), 'does not trust');
    await rejects('not-a-jwt', 'not a JWT');
  });

  it("accepts a configured external issuer's token and maps its scopes and roles", async () => {
    const claims = {
      scp: ['user/ImagingStudy.rs', 'user/Patient.rs'],
      realm_access: { roles: ['Radiologist', 'Visitor'] },
      azp: 'pacs-viewer',
      fhirUser: 'Practitioner/9',
    };
    const token = await sign(claims, idpKey, 'idp-1', {
      iss: 'https://idp.example/realms/hospital',
      alg: 'ES256',
      typ: 'JWT',
    });
    expect(await auth.verifier.verify(token)).toMatchObject({
      kind: 'user',
      issuer: 'https://idp.example/realms/hospital',
      clientId: 'pacs-viewer',
      scope: 'user/ImagingStudy.rs user/Patient.rs',
      roles: ['radiologist'],
      fhirUser: 'Practitioner/9',
    });
    await rejects(
      await sign(claims, idpKey, 'idp-1', {
        iss: 'https://idp.example/realms/hospital',
        alg: 'ES256',
        aud: 'https://other.example',
      }),
      'aud',
    );
    await rejects(
      await sign(claims, (await generateKeyPair('ES256')).privateKey, 'idp-1', {
        iss: 'https://idp.example/realms/hospital',
        alg: 'ES256',
      }),
      'signature',
    );
  });
});

describe('people: authorization code + PKCE + OpenID Connect', () => {
  const cookies = new Map<string, string>();
  const browse = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(url, publicUrl), {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  };
  const post = (url: string, form: Record<string, string>) =>
    browse(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
  const authorizeUrl = (extra: Record<string, string>) =>
    `/oauth/auth?${new URLSearchParams({
      client_id: 'viewer',
      response_type: 'code',
      redirect_uri: `${publicUrl}/callback`,
      scope: 'openid fhirUser launch/patient patient/*.rs patient/Observation.rs?category=laboratory system/*.rs',
      state: 'st-1',
      aud: `${publicUrl}/fhir`,
      ...extra,
    })}`;

  it('signs a user in, asks consent, and exchanges the code with the verifier for a token with patient context', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    let res = await browse(authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }));
    expect(res.status).toBe(303);
    const interaction = res.headers.get('location')!;
    expect(interaction).toMatch(/^\/oauth\/interaction\/[\w-]+$/);

    res = await browse(interaction);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('name="password"');
    res = await post(`${interaction}/login`, { username: 'cathy', password: 'wrong password' });
    expect(res.status).toBe(401);
    expect(events.at(-1)).toMatchObject({ kind: 'login-failed', clientId: 'viewer' });
    res = await post(`${interaction}/login`, { username: 'cathy', password: 'correct horse battery' });
    expect(res.status).toBe(303);
    expect(events.at(-1)).toMatchObject({ kind: 'login', subject: 'cathy' });

    res = await browse(res.headers.get('location')!);
    const consent = res.headers.get('location')!;
    expect(consent).toMatch(/^\/oauth\/interaction\/[\w-]+$/);
    const page = await (await browse(consent)).text();
    expect(page).toContain('patient/Observation.rs?category=laboratory');
    expect(page).toContain('HTEST-1');
    res = await post(`${consent}/confirm`, {});
    expect(res.status).toBe(303);
    res = await browse(res.headers.get('location')!);
    const callback = new URL(res.headers.get('location')!);
    expect(callback.origin + callback.pathname).toBe(`${publicUrl}/callback`);
    expect(callback.searchParams.get('state')).toBe('st-1');
    const code = callback.searchParams.get('code')!;

    const params = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: `${publicUrl}/callback`,
      client_id: 'viewer',
    };
    expect((await tokenRequest({ ...params, code_verifier: randomBytes(32).toString('base64url') })).body.error).toBe(
      'invalid_grant',
    );
    // oidc-provider checks the verifier before it consumes the code: the right verifier still works.
    const { status, body } = await tokenRequest({ ...params, code_verifier: verifier });
    if (status !== 200) throw new Error(`token exchange failed: ${JSON.stringify(body)}`);
    expect(body.patient).toBe('HTEST-1');
    expect(body.scope.split(' ').sort()).toEqual(['patient/*.rs', 'patient/Observation.rs?category=laboratory']);
    const idToken = decodeJwt(body.id_token);
    expect(idToken).toMatchObject({ sub: 'cathy', aud: 'viewer', fhirUser: `${publicUrl}/fhir/Practitioner/17` });
    expect(await auth.verifier.verify(body.access_token)).toMatchObject({
      kind: 'user',
      subject: 'cathy',
      clientId: 'viewer',
      roles: ['clinician'],
      patient: 'HTEST-1',
      fhirUser: 'Practitioner/17',
    });
  });

  it('refuses an authorization request for another FHIR server (aud)', async () => {
    const res = await browse(
      authorizeUrl({
        code_challenge: 'a'.repeat(43),
        code_challenge_method: 'S256',
        aud: 'https://other.example/fhir',
      }),
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('for another server');
  });

  it('refuses the plain PKCE method and a request without a code challenge', async () => {
    const requests: Record<string, string>[] = [{ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, {}];
    for (const extra of requests) {
      const res = await browse(authorizeUrl(extra));
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location')!, publicUrl);
      expect(location.pathname).toBe('/callback');
      expect(location.searchParams.get('error')).toBe('invalid_request');
    }
  });
});
