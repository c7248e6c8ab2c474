import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPool } from '../core/postgres/pool.js';
import { suitePostgres } from '../core/postgres/suite-postgres.js';
import { PgFhirRepository } from '../fhir/postgres/pg-repository.js';
import { find, TEST_BASE, testRegistry } from '../fhir/repository/test-support.js';
import { PgChainStore } from './chain-store-pg.js';
import { openPostgresAuditLog } from './open-postgres.js';
import { expectOneChain } from './test-support.js';
import type { AuditEvent } from './types.js';
import { createAuditKey, readAuditKey } from './key-file.js';
import type { ChainRecord } from './types.js';

const server = suitePostgres();
const { skip } = server;
const url = () => server.url();
const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };

const event = (who: string, n: number): AuditEvent => ({
  resourceType: 'AuditEvent',
  type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
  action: 'R',
  recorded: new Date(Date.UTC(2024, 4, 1, 10, 0, n)).toISOString(),
  outcome: '0',
  agent: [{ requestor: true, who: { display: `${who}-${n}` } }],
  source: { observer: { display: 'ImagingBridge' } },
  entity: [{ what: { reference: `Patient/p-${n}` } }],
});

describe.skipIf(skip !== undefined)(server.title('audit log on PostgreSQL'), () => {
  let root: string;
  let schema: string;
  let keyFile: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ib-pg-audit-'));
    schema = `audit_${randomBytes(6).toString('hex')}`;
    keyFile = join(root, 'audit.key');
  });
  afterEach(async () => {
    const store = await PgChainStore.open(await url(), { schema, readonly: true }).catch(() => undefined);
    await store?.dropSchema();
    await store?.close();
    rmSync(root, { recursive: true, force: true });
  });
  /** One instance: its own data dir, the shared key file, the shared database. */
  const instance = async (name: string, extra: Partial<Parameters<typeof openPostgresAuditLog>[0]> = {}) =>
    openPostgresAuditLog({
      dataDir: join(root, name),
      keyFile,
      database: await url(),
      schema,
      logger: silent,
      ...extra,
    });

  it('keeps one chain for two instances appending at once, each record durable when record() resolves', async () => {
    const a = await instance('a');
    const b = await instance('b');
    const reader = openPool(await url(), { max: 1 });
    try {
      await Promise.all(
        Array.from({ length: 30 }, async (_, n) => {
          const e = { ...event(n % 2 ? 'a' : 'b', n), id: `e-${n}` };
          await (n % 2 ? a : b).sink.record(e);
          // Acknowledged: visible to any other connection (committed).
          const { rows } = await reader.query(`SELECT count(*) AS n FROM ${schema}.record WHERE id = $1`, [e.id]);
          expect(rows[0].n).toBe(1);
        }),
      );
      const store = await PgChainStore.open(reader, { schema, readonly: true });
      const all: ChainRecord[] = [];
      for await (const r of store.iterate()) all.push(r);
      expect(all).toHaveLength(30);
      expectOneChain(all, readAuditKey(keyFile));
      expect(await a.verify()).toMatchObject({ ok: true, records: 30 });
      expect(await b.verify()).toMatchObject({ ok: true, records: 30 });
      await a.close();
      await b.close();
      // The checkpoint beside the shared key file is at the head once both stopped.
      expect(await (await instance('c')).verify()).toMatchObject({ ok: true, records: 30, checkpoint: { seq: 30 } });
    } finally {
      await a.close();
      await b.close();
      await reader.end();
    }
  });

  it('rejects a record whose commit fails (the access is then refused), and goes on once the database is back', async () => {
    const a = await instance('a');
    const admin = openPool(await url(), { max: 1 });
    try {
      await a.sink.record(event('a', 1));
      await admin.query(`ALTER TABLE ${schema}.head RENAME TO head_away`);
      await expect(a.sink.record(event('a', 2))).rejects.toThrow(/head/);
      await admin.query(`ALTER TABLE ${schema}.head_away RENAME TO head`);
      await a.sink.record(event('a', 3));
      expect(await a.verify()).toMatchObject({ ok: true, records: 2 });
    } finally {
      await a.close();
      await admin.end();
    }
  });

  it('refuses to start an instance whose key is not the one the chain is hashed with', async () => {
    const a = await instance('a');
    await a.sink.record(event('a', 1));
    await a.close();
    const missing = await instance('b', { keyFile: join(root, 'missing.key') }).catch((e: unknown) => e);
    expect(String(missing)).toMatch(/missing\.key is missing but the audit log holds records/);
    expect(existsSync(join(root, 'missing.key'))).toBe(false); // not created: the chain holds records
    createAuditKey(join(root, 'other.key'));
    const refused = await instance('b', { keyFile: join(root, 'other.key') }).catch((e: unknown) => e);
    expect(String(refused)).toMatch(/holds another key than the one the audit chain in PostgreSQL is hashed with/);
  });

  it('copies the chain into FHIR from one instance only, and from the other once the first stops', async () => {
    const fhirSchema = `fhir_${randomBytes(6).toString('hex')}`;
    const repos = await Promise.all(
      [0, 1].map(async () =>
        PgFhirRepository.open(await url(), { registry: testRegistry(), baseUrl: TEST_BASE, schema: fhirSchema }),
      ),
    );
    // Counts each instance's FHIR writes.
    const writes = [0, 0];
    const counted = (i: number): PgFhirRepository =>
      Object.assign(Object.create(repos[i]!), {
        transaction: (...args: Parameters<PgFhirRepository['transaction']>) => {
          writes[i]! += 1;
          return repos[i]!.transaction(...args);
        },
      });
    const projection = { intervalMs: 50, maxBatch: 100, retryMs: 1000 };
    const lease = { ttlMs: 1500, schema: `lease_${randomBytes(4).toString('hex')}` };
    const a = await instance('a', {
      repository: counted(0),
      projection,
      projectionLease: lease,
      projectionPollMs: 100,
    });
    await a.caughtUp; // alone: A takes the lease
    const b = await instance('b', {
      repository: counted(1),
      projection,
      projectionLease: lease,
      projectionPollMs: 100,
    });
    try {
      await Promise.all(Array.from({ length: 10 }, (_, n) => (n % 2 ? a : b).sink.record(event('x', n))));
      await expect.poll(async () => (await find(repos[0]!, 'AuditEvent', '_count=100')).length).toBe(10);
      const pool = openPool(await url(), { max: 1 });
      try {
        expect(writes[0]).toBeGreaterThan(0);
        expect(writes[1]).toBe(0);
        // The holder stops; the other copies what comes next (B's records of before, A's, and these).
        await a.close();
        await Promise.all(Array.from({ length: 5 }, (_, n) => b.sink.record(event('y', 20 + n))));
        await expect.poll(async () => (await find(repos[0]!, 'AuditEvent', '_count=100')).length).toBe(15);
        const copies = await pool.query(
          `SELECT count(*) AS n, count(DISTINCT id) AS ids FROM ${fhirSchema}.resources WHERE type = 'AuditEvent'`,
        );
        expect(copies.rows[0]).toEqual({ n: 15, ids: 15 });
        expect(writes[1]).toBeGreaterThan(0);
        expect(await b.verify()).toMatchObject({ ok: true, records: 15 });
      } finally {
        await pool.end();
      }
    } finally {
      await a.close();
      await b.close();
      await repos[0]!.dropSchema();
      await Promise.all(repos.map((r) => r.close()));
    }
  });
});
