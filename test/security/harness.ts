/**
 * The attacker's bench for test/security/: a real server under `--auth smart` (in this process,
 * real sockets and SQLite) with the demo data, a hospital identity provider whose tokens the
 * server trusts (any scope, role or patient a test asks for), plain HTTP helpers and a reader of
 * the audit chain. Each suite replays one finding of the security review as an attack and
 * asserts that it is refused, with its status and its audit record.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { waitFor } from '../support/wait.js';
import type { Json } from '../support/http.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../support/server.js';

export const ISSUER = 'https://idp.hospital.test/realms/imaging';
export const AUDIENCE = 'urn:test:imaging-bridge';
const FAST_BRIDGE = { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 };

export interface TokenClaims {
  scope: string;
  roles?: string[];
  patient?: string;
  sub?: string;
  /** Seconds since the epoch. */
  exp?: number;
  /** `azp` (the client); defaults to viewer-app. */
  client?: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

export interface SmartBench {
  server: TestServer;
  url: string;
  /** A token from the hospital IdP (roleMap: imaging-admin → administrator, imaging-steward → data-steward). */
  token(claims: TokenClaims): Promise<string>;
  /** An administrator token (user/*.cruds). */
  admin: string;
  request(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  get(path: string, token?: string, headers?: Record<string, string>): Promise<Answer>;
  /** Every audit record (AuditEvent JSON) written after `afterSeq`, in order. */
  auditSince(afterSeq: number): Json[];
  /** The chain's last sequence number (0 when empty). */
  auditHead(): number;
  /** Demo patients that have imaging, with their study UIDs (once the bridge has written them). */
  patientsWithImaging(min?: number): Promise<{ patientId: string; studies: string[] }[]>;
  stop(): Promise<void>;
}

/** Starts the server under --auth smart with the demo data (or not) and an IdP it trusts. */
export async function startSmartBench(
  opts: {
    demo?: boolean;
    configFile?: Record<string, unknown>;
    flags?: Record<string, string>;
    server?: TestServerOptions;
  } = {},
): Promise<SmartBench> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256' };
  const idp = {
    issuer: ISSUER,
    jwks: { keys: [jwk] },
    audience: AUDIENCE,
    roleMap: { 'imaging-admin': 'administrator', 'imaging-steward': 'data-steward' },
  };
  const extraSecurity = (opts.configFile?.security ?? {}) as Record<string, unknown>;
  const server = await startTestServer(
    { auth: 'smart', ...(opts.demo === false ? {} : { demo: 'true' }), ...opts.flags },
    {
      ...opts.server,
      configFile: { bridge: FAST_BRIDGE, ...opts.configFile, security: { ...extraSecurity, externalIssuers: [idp] } },
    },
  );
  const token = (c: TokenClaims): Promise<string> => signToken(privateKey, c);
  const admin = await token({ scope: 'user/*.cruds', roles: ['imaging-admin'] });
  const request = async (
    method: string,
    path: string,
    tok: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const h: Record<string, string> = { ...headers };
    if (tok) h.authorization = `Bearer ${tok}`;
    let payload: string | Buffer | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/fhir+json';
    }
    const res = await fetch(server.url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: Json;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  const auditDb = (): Database.Database => new Database(join(server.dataDir, 'audit.sqlite'), { readonly: true });
  return {
    server,
    url: server.url,
    token,
    admin,
    request,
    get: (path, tok, headers) => request('GET', path, tok, undefined, headers),
    auditSince: (afterSeq) => {
      const db = auditDb();
      try {
        return (
          db.prepare('SELECT json FROM audit_record WHERE seq > ? ORDER BY seq').all(afterSeq) as { json: string }[]
        ).map((r) => JSON.parse(r.json));
      } finally {
        db.close();
      }
    },
    auditHead: () => {
      const db = auditDb();
      try {
        return (db.prepare('SELECT coalesce(max(seq), 0) AS n FROM audit_record').get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    patientsWithImaging: async (min = 2) => {
      const studies = await waitFor(
        async () => {
          const r = await request('GET', '/fhir/ImagingStudy?_count=500', admin);
          return (r.body?.entry?.length ?? 0) >= min * 2 ? (r.body.entry as Json[]).map((e) => e.resource) : undefined;
        },
        { timeoutMs: 60_000, what: 'demo ImagingStudies' },
      );
      const byPatient = new Map<string, string[]>();
      for (const s of studies) {
        const patientId = String(s.subject.reference).split('/')[1];
        const uid = String((s.identifier as Json[]).find((i) => i.system === 'urn:dicom:uid').value).slice(
          'urn:oid:'.length,
        );
        byPatient.set(patientId, [...(byPatient.get(patientId) ?? []), uid]);
      }
      return [...byPatient].map(([patientId, uids]) => ({ patientId, studies: uids }));
    },
    stop: () => server.stop(),
  };
}

/** A token of the test IdP (ISSUER, AUDIENCE, kid idp-1) signed with `key`. */
export async function signToken(key: CryptoKey, c: TokenClaims): Promise<string> {
  return new SignJWT({
    scope: c.scope,
    roles: c.roles ?? [],
    ...(c.patient ? { patient: c.patient } : {}),
    azp: c.client ?? 'viewer-app',
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(c.sub ?? 'user-17')
    .setIssuedAt()
    .setExpirationTime(c.exp ?? Math.floor(Date.now() / 1000) + 300)
    .setJti(randomUUID())
    .sign(key);
}

/** True when Object.prototype (and the other built-in prototypes) carry no member they did not have at load. */
export function prototypesClean(): boolean {
  for (const [proto, names] of BASELINE) {
    const now = Object.getOwnPropertyNames(proto);
    if (now.length !== names.length || now.some((n) => !names.includes(n))) return false;
  }
  return true;
}
const BASELINE: [object, string[]][] = [Object.prototype, Array.prototype, Function.prototype, String.prototype].map(
  (p) => [p, Object.getOwnPropertyNames(p)],
);
