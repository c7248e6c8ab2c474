import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditKey } from '../src/audit/key-file.js';
import { openPool } from '../src/core/postgres/pool.js';
import { testDatabase } from '../src/core/postgres/test-database.js';
import { httpFhirClient, parseFhirServers } from '../src/fhir/client/index.js';
import { fhirClientSuite } from '../src/fhir/client/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * `serve --database postgres://…`: the FHIR API of a real server whose store is PostgreSQL (a
 * database of its own on the test cluster), through the FhirClient contract over HTTP, and two
 * servers — two data dirs, one database — seeing each other's writes.
 */
const db = testDatabase();
const skip = db.skip;
let url = '';
let peer: TestServer | undefined;
const { auditKeyFile, keyDir } = db;

beforeAll(async () => {
  await db.setup();
  if (skip) return;
  url = db.url();
  peer = await startTestServer({ database: url, 'audit-key-file': auditKeyFile });
}, 120_000);

afterAll(async () => {
  await peer?.stop();
  await db.teardown();
});

if (skip) describe.skip(`FhirClient contract: HTTP (ImagingBridge on PostgreSQL) (skipped: ${skip})`, () => {});
else
  fhirClientSuite('HTTP (ImagingBridge on PostgreSQL)', async () => {
    const { peer: fhir } = parseFhirServers({ peer: { baseUrl: `${peer!.url}/fhir`, timeoutMs: 15_000, retries: 1 } });
    return { client: httpFhirClient(fhir), close: () => undefined };
  });

describe.skipIf(skip !== undefined)(`serve --database${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('keeps the FHIR store in PostgreSQL: a second server on the same database reads and finds what the first wrote', async () => {
    const created = await fetch(`${peer!.url}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Postgresson' }] }),
    });
    expect(created.status).toBe(201);
    const patient = (await created.json()) as { id: string };
    const second = await startTestServer({ database: url, 'audit-key-file': auditKeyFile });
    try {
      const read = await fetch(`${second.url}/fhir/Patient/${patient.id}`);
      expect(read.status).toBe(200);
      const found = (await (await fetch(`${second.url}/fhir/Patient?family=postgres`)).json()) as {
        entry?: { resource: { id: string } }[];
      };
      expect(found.entry?.map((e) => e.resource.id)).toEqual([patient.id]);
      const pool = openPool(url, { max: 1 });
      try {
        const { rows } = await pool.query('SELECT count(*) AS n FROM fhir.resources WHERE id = $1', [patient.id]);
        expect(rows[0].n).toBe(1);
        // The audit trail's FHIR copies go to the PostgreSQL store too (not to a fhir.sqlite beside it).
        await expect
          .poll(
            async () => {
              const r = await pool.query(
                "SELECT count(*) AS n FROM fhir.resources WHERE type = 'AuditEvent' AND json LIKE $1",
                [`%Patient/${patient.id}%`],
              );
              return Number(r.rows[0].n);
            },
            { timeout: 20_000 },
          )
          .toBeGreaterThan(0);
      } finally {
        await pool.end();
      }
    } finally {
      await second.stop();
    }
  });
});

describe.skipIf(skip !== undefined)(`serve --database: the audit chain${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('is one chain in PostgreSQL for both servers, which audit verify --database checks', async () => {
    let second: TestServer | undefined = await startTestServer({ database: url, 'audit-key-file': auditKeyFile });
    const pool = openPool(url, { max: 1 });
    try {
      const count = async () => Number((await pool.query('SELECT count(*) AS n FROM audit.record')).rows[0].n);
      const before = await count();
      // Audited reads on both servers, interleaved.
      for (const s of [peer!, second, peer!, second])
        expect((await fetch(`${s.url}/fhir/Patient?family=nobody`)).status).toBe(200);
      expect(await count()).toBeGreaterThanOrEqual(before + 4);
      await second.stop();
      second = undefined;
      const n = await count();
      const cli = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify', '--database', url, '--audit-key-file', auditKeyFile],
        { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname },
      );
      expect(cli.stdout, cli.stderr).toMatch(new RegExp(`^audit chain OK: ${n} records checked`));
      expect(cli.status).toBe(0);
      // Another key is refused, not reported as a broken chain.
      const other = join(keyDir, 'other.key');
      createAuditKey(other);
      const refused = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify', '--database', url, '--audit-key-file', other],
        { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname },
      );
      expect(refused.stderr).toMatch(/holds another key than the one the chain in PostgreSQL is hashed with/);
      expect(refused.status).toBe(1);
    } finally {
      await second?.stop();
      await pool.end();
    }
  });
});

describe('serve --database with no server there', () => {
  it('stops start-up with a message naming the database without its password', async () => {
    const failed = await startTestServer({ database: 'postgres://ib:secret@127.0.0.1:1/none' }).catch((e: Error) => e);
    expect(String(failed)).toMatch(
      // The archive index is the first store opened there (then the FHIR store, the others).
      /cannot open the archive index in PostgreSQL at postgres:\/\/ib:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/,
    );
    expect(String(failed)).not.toContain('secret');
  });
});
