import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPool } from '../src/core/postgres/pool.js';
import { testPostgres } from '../src/core/postgres/test-cluster.js';
import { ClientStore } from '../src/security/oauth/client-store.js';
import { PgSecurityStore } from '../src/security/oauth/pg-security-store.js';
import { startTestServer, type TestServer } from './support/server.js';
import { runCli } from './support/smart.js';

/**
 * `serve --auth smart --database postgres://…`: the security stores and the sources' state in
 * PostgreSQL. Two servers (two data dirs, one database) are one authorization server: a client
 * registered once works on both, and a token one issues is accepted by the other (shared keys).
 */
const server = testPostgres();
const skip = 'reason' in server ? server.reason : undefined;
const database = `ib_e2e_${randomBytes(4).toString('hex')}`;
let url = '';
const servers: TestServer[] = [];
const PUBLIC_URL = 'http://imaging.test';
// Instances sharing one database share its audit chain, hashed with one key (docs/postgresql.md).
const keyDir = mkdtempSync(join(tmpdir(), 'ib-pg-stores-key-'));
const auditKeyFile = join(keyDir, 'audit.key');

beforeAll(async () => {
  if ('reason' in server) return;
  const base = await server.url();
  const admin = openPool(base, { max: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${database}`;
  url = u.toString();
  // One after the other: the second finds the schemas migrated and the keys made. One public URL,
  // as behind a load balancer: the issuer and the token audience are the same on both.
  for (let i = 0; i < 2; i++)
    servers.push(
      await startTestServer({ auth: 'smart', database: url, 'public-url': PUBLIC_URL, 'audit-key-file': auditKeyFile }),
    );
}, 180_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  rmSync(keyDir, { recursive: true, force: true });
  if ('reason' in server) return;
  const admin = openPool(await server.url(), { max: 1 });
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await server.stop();
});

describe.skipIf(skip !== undefined)(
  `serve --database: security and sources stores${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('shares clients and signing keys between instances: a token from one is accepted by the other', async () => {
      const store = await PgSecurityStore.open(url);
      try {
        await new ClientStore(store).add({
          clientId: 'etl',
          scope: 'system/Patient.rs',
          secret: 'a-very-long-shared-secret',
        });
      } finally {
        await store.close();
      }
      const [a, b] = servers;
      const token = await fetch(`${a.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('etl:a-very-long-shared-secret').toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/Patient.rs' }),
      });
      expect(token.status).toBe(200);
      const { access_token } = (await token.json()) as { access_token: string };
      const read = await fetch(`${b.url}/fhir/Patient?_count=1`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(read.status).toBe(200);
      const refused = await fetch(`${b.url}/fhir/Observation?_count=1`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(refused.status).toBe(403);
      // Nothing of it in the data dirs: the keys and clients live in the database only.
      for (const s of servers) {
        expect(existsSync(join(s.dataDir, 'oauth-keys.json'))).toBe(false);
        expect(existsSync(join(s.dataDir, 'security.sqlite'))).toBe(false);
      }
    });

    it('lets the CLI list the clients of the database, not of a data dir', async () => {
      const listed = await runCli(['clients', 'list', '--json', '--database', url, '--data-dir', servers[1].dataDir]);
      expect(listed.code).toBe(0);
      expect((JSON.parse(listed.stdout) as { clientId: string }[]).map((c) => c.clientId)).toContain('etl');
    }, 120_000);

    it('migrates the security and sources schemas once, recording their versions', async () => {
      const pool = openPool(url, { max: 1 });
      try {
        for (const schema of ['security', 'sources']) {
          const { rows } = await pool.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
          expect(rows.map((r) => r.version)).toEqual([1]);
        }
        const keys = await pool.query('SELECT count(*) AS n FROM security.server_keys');
        expect(keys.rows[0].n).toBe(1);
      } finally {
        await pool.end();
      }
    });
  },
);
