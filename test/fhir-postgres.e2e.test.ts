import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPool } from '../src/core/postgres/pool.js';
import { testPostgres } from '../src/core/postgres/test-cluster.js';
import { httpFhirClient, parseFhirServers } from '../src/fhir/client/index.js';
import { fhirClientSuite } from '../src/fhir/client/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * `serve --database postgres://…`: the FHIR API of a real server whose store is PostgreSQL (a
 * database of its own on the test cluster), through the FhirClient contract over HTTP, and two
 * servers — two data dirs, one database — seeing each other's writes.
 */
const server = testPostgres();
const skip = 'reason' in server ? server.reason : undefined;
const database = `ib_e2e_${randomBytes(4).toString('hex')}`;
let url = '';
let peer: TestServer | undefined;

beforeAll(async () => {
  if ('reason' in server) return;
  const base = await server.url();
  const admin = openPool(base, { max: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${database}`;
  url = u.toString();
  peer = await startTestServer({ database: url });
}, 120_000);

afterAll(async () => {
  await peer?.stop();
  if ('reason' in server) return;
  const admin = openPool(await server.url(), { max: 1 });
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await server.stop();
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
    const second = await startTestServer({ database: url });
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

describe('serve --database with no server there', () => {
  it('stops start-up with a message naming the database without its password', async () => {
    const failed = await startTestServer({ database: 'postgres://ib:secret@127.0.0.1:1/none' }).catch((e: Error) => e);
    expect(String(failed)).toMatch(
      /cannot open the FHIR store in PostgreSQL at postgres:\/\/ib:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/,
    );
    expect(String(failed)).not.toContain('secret');
  });
});
