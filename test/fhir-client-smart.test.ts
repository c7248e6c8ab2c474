import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FhirAuthError,
  FhirServerError,
  httpFhirClient,
  parseFhirServers,
  SmartBackendAuth,
  type SmartBackendAuthConfig,
} from '../src/fhir/client/index.js';
import { openAuthorizationServer, type AuthorizationServer, type OAuthEvent } from '../src/security/oauth/index.js';
import { ClientStore } from '../src/security/oauth/client-store.js';
import { openSecurityDb } from '../src/security/oauth/sqlite-security-store.js';

/**
 * The FHIR client as a SMART backend-services client, against a real ImagingBridge authorization
 * server (real token endpoint, real signed assertions) guarding a small FHIR endpoint that
 * verifies the bearer token with the server's own verifier.
 */
let dir: string;
let publicUrl: string;
let app: FastifyInstance;
let auth: AuthorizationServer;
const issued: OAuthEvent[] = [];
let rejectNext = 0;
const files: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ib-fhir-smart-'));
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  publicUrl = `http://127.0.0.1:${port}`;
  auth = await openAuthorizationServer({
    dataDir: dir,
    publicUrl,
    tokenLifetime: 300,
    logger: pino({ level: 'silent' }),
    onEvent: (e) => e.kind === 'token-issued' && issued.push(e),
  });
  app = Fastify();
  auth.register(app);
  app.get('/fhir/Patient/:id', { config: { access: { kind: 'public' } } }, async (req, reply) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const principal = token && (await auth.verifier.verify(token).catch(() => undefined));
    if (!principal || rejectNext-- > 0)
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer error="invalid_token"')
        .send({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] });
    return reply.type('application/fhir+json').send({
      resourceType: 'Patient',
      id: (req.params as { id: string }).id,
      meta: { tag: [{ code: principal.clientId }] },
    });
  });
  await app.listen({ port, host: '127.0.0.1' });

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  files.rsaPem = join(dir, 'bridge-rsa.pem');
  writeFileSync(files.rsaPem, rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }));
  files.ecJwk = join(dir, 'bridge-ec.jwk.json');
  writeFileSync(files.ecJwk, JSON.stringify({ ...ec.privateKey.export({ format: 'jwk' }), kid: 'bridge-ec' }));
  const db = openSecurityDb(dir);
  const clients = new ClientStore(db);
  await clients.add({
    clientId: 'bridge-rsa',
    scope: 'system/*.rs',
    jwks: { keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'bridge-rsa', alg: 'RS384' } as never] },
  });
  await clients.add({
    clientId: 'bridge-ec',
    scope: 'system/Patient.rs',
    jwks: { keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'bridge-ec' } as never] },
  });
  await db.close();
});

afterAll(async () => {
  await app?.close();
  await auth?.close();
  rmSync(dir, { recursive: true, force: true });
});

const server = (auth: Record<string, unknown>) =>
  parseFhirServers({
    ehr: {
      baseUrl: `${publicUrl}/fhir`,
      auth: { type: 'smart-backend', tokenUrl: `${publicUrl}/oauth/token`, ...auth },
      retries: 0,
    },
  }).ehr;

describe('FHIR client as a SMART backend-services client', () => {
  it('gets a token with an RS384 assertion (PEM key), reuses it, and renews it once after a 401', async () => {
    const client = httpFhirClient(
      server({
        clientId: 'bridge-rsa',
        privateKeyFile: files.rsaPem,
        alg: 'RS384',
        kid: 'bridge-rsa',
        scope: 'system/*.rs',
      }),
    );
    const before = issued.length;
    expect((await client.read('Patient', 'p1')).id).toBe('p1');
    expect((await client.read('Patient', 'p2')).id).toBe('p2');
    expect(issued.length - before).toBe(1);
    expect(issued.at(-1)).toMatchObject({ clientId: 'bridge-rsa', scope: 'system/*.rs' });

    rejectNext = 1;
    expect((await client.read('Patient', 'p3')).id).toBe('p3');
    expect(issued.length - before).toBe(2);

    rejectNext = 2; // a server that keeps refusing: one renewal, then the 401 is the answer
    await expect(client.read('Patient', 'p4')).rejects.toSatisfy(
      (e) => e instanceof FhirServerError && e.status === 401,
    );
    rejectNext = 0;
  });

  it('signs ES384 with a JWK key file and renews the token shortly before it expires', async () => {
    // The clock starts 275 s in the past so that the assertions it stamps stay acceptable to the real server.
    let now = Date.now() - 275_000;
    const config = server({
      clientId: 'bridge-ec',
      privateKeyFile: files.ecJwk,
      alg: 'ES384',
      scope: 'system/Patient.rs',
    }).auth as SmartBackendAuthConfig;
    const smart = new SmartBackendAuth(config, { now: () => now });
    const first = await smart.authorization();
    now += 200_000;
    expect(await smart.authorization()).toBe(first);
    now += 75_000; // 275 s: within 30 s of the 300 s lifetime
    const second = await smart.authorization();
    expect(second).not.toBe(first);
    expect(second).toMatch(/^Bearer ey/);
  });

  it('reports a refused token request without repeating secrets', async () => {
    const smart = new SmartBackendAuth(
      server({ clientId: 'bridge-ec', privateKeyFile: files.rsaPem, alg: 'RS384', scope: 'system/Patient.rs' })
        .auth as SmartBackendAuthConfig,
    );
    await expect(smart.authorization()).rejects.toSatisfy(
      (e) => e instanceof FhirAuthError && /HTTP 401 invalid_client/.test((e as Error).message),
    );
    const wrongType = new SmartBackendAuth(
      server({ clientId: 'bridge-ec', privateKeyFile: files.rsaPem, alg: 'ES384', scope: 'system/Patient.rs' })
        .auth as SmartBackendAuthConfig,
    );
    await expect(wrongType.authorization()).rejects.toThrow('does not fit ES384');
  });

  it('validates the smart-backend configuration at start-up', () => {
    expect(() =>
      server({ clientId: 'x', privateKeyFile: join(dir, 'missing.pem'), alg: 'RS384', scope: 'system/*.rs' }),
    ).toThrow('cannot read');
    expect(() => server({ clientId: 'x', privateKeyFile: files.rsaPem, alg: 'HS256', scope: 'system/*.rs' })).toThrow(
      '"RS384" or "ES384"',
    );
    expect(() => server({ clientId: 'x', privateKeyFile: files.rsaPem, alg: 'RS384' })).toThrow(
      '"fhir.servers.ehr.auth.scope" is required',
    );
    expect(() =>
      parseFhirServers({
        ehr: {
          baseUrl: 'https://ehr.example/fhir',
          auth: {
            type: 'smart-backend',
            tokenUrl: 'http://ehr.example/token',
            clientId: 'x',
            privateKeyFile: files.rsaPem,
            alg: 'RS384',
            scope: 's',
          },
        },
      }),
    ).toThrow('must be https');
  });
});
