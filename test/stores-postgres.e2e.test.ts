import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPool } from '../src/core/postgres/pool.js';
import { testDatabase } from '../src/core/postgres/test-database.js';
import { ClientStore } from '../src/security/oauth/client-store.js';
import { PgSecurityStore } from '../src/security/oauth/pg-security-store.js';
import { startTestServer, type TestServer } from './support/server.js';
import { runCli } from './support/smart.js';

/**
 * `serve --auth smart --database postgres://…`: the security stores and the sources' state in
 * PostgreSQL. Two servers (two data dirs, one database) are one authorization server: a client
 * registered once works on both, and a token one issues is accepted by the other (shared keys).
 */
const db = testDatabase();
const skip = db.skip;
let url = '';
const servers: TestServer[] = [];
const PUBLIC_URL = 'http://imaging.test';

beforeAll(async () => {
  await db.setup();
  if (skip) return;
  url = db.url();
  // One after the other: the second finds the schemas migrated and the keys made. One public URL,
  // as behind a load balancer: the issuer and the token audience are the same on both.
  for (let i = 0; i < 2; i++)
    servers.push(
      await startTestServer({
        auth: 'smart',
        database: url,
        'public-url': PUBLIC_URL,
        'audit-key-file': db.auditKeyFile,
      }),
    );
}, 180_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  await db.teardown();
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
