import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAuditEvents, openAuditLog, type AccessRecord, type OpenedAuditLog } from './index.js';
import { openTestRouter } from '../fhir/rest/test-support.js';
import type { Principal } from '../auth/principal.js';

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };
const fast = { intervalMs: 5, maxBatch: 50, retryMs: 50 };

const radiologist: Principal = {
  kind: 'user',
  clientId: 'web-ui',
  subject: 'u-17',
  jti: 'jti-7',
  scope: 'user/*.rs',
  roles: ['radiologist'],
  fhirUser: 'Practitioner/pr-3',
};
const aiTool: Principal = {
  kind: 'client',
  clientId: 'ai-tool',
  subject: 'ai-tool',
  jti: 'jti-42',
  scope: 'system/*.rs',
  roles: ['ai-service'],
};

const access = (patientId: string, day: number, principal: Principal, status = 200): AccessRecord => ({
  principal,
  requestId: `req-${patientId}-${day}`,
  sourceIp: '10.0.0.8',
  outcome: { httpStatus: status },
  recorded: new Date(Date.UTC(2024, 4, day, 9)),
  server: { publicUrl: 'https://ib.example.org' },
  access: { kind: 'fhir', interaction: 'read', resourceType: 'Observation', id: `obs-${day}`, patientIds: [patientId] },
});

/** The n-th of many reads by the radiologist, spread over three patients. */
const numbered = (n: number): AccessRecord => ({
  ...access(`p-${n % 3}`, 1, radiologist),
  requestId: `req-${n}`,
  recorded: new Date(Date.UTC(2024, 4, 1, 9, 0, n)),
});

describe('audit log: searchable copy at /fhir/AuditEvent', () => {
  let root: string;
  let t: ReturnType<typeof openTestRouter>;
  let log: OpenedAuditLog | undefined;
  const dataDir = () => join(root, 'data');
  const open = (withRepository = true) =>
    (log = openAuditLog({
      dataDir: dataDir(),
      logger: silent,
      projection: fast,
      ...(withRepository ? { repository: t.repo } : {}),
    }));
  const record = async (r: AccessRecord) => {
    for (const e of buildAuditEvents(r)) await log!.sink.record(e);
  };
  const total = async (query: string) => ((await t.call('GET', `AuditEvent?${query}`)).body as { total: number }).total;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ib-audit-proj-'));
    t = openTestRouter();
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('finds the records by patient, date, agent, agent name, user id, outcome, type and subtype', async () => {
    open();
    await record(access('p-1', 1, radiologist));
    await record(access('p-1', 3, aiTool, 403));
    await record(access('p-2', 5, aiTool));
    await log!.close();
    expect(await total('patient=Patient/p-1')).toBe(2);
    expect(await total('patient=p-2')).toBe(1);
    expect(await total('date=ge2024-05-03')).toBe(2);
    expect(await total('date=lt2024-05-03&patient=p-1')).toBe(1);
    expect(await total('agent=Practitioner/pr-3')).toBe(1);
    expect(await total('agent-name=ai-tool')).toBe(2);
    expect(await total('altid=u-17')).toBe(1);
    expect(await total('outcome=4')).toBe(1);
    expect(await total('outcome=0')).toBe(2);
    expect(await total('type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest')).toBe(3);
    expect(await total('subtype=read&action=R')).toBe(3);
    expect(await total('policy=jti-42')).toBe(2);
    expect(await total('entity=Observation/obs-5')).toBe(1);
  });

  it('uses the chain record id as the AuditEvent id', async () => {
    open();
    await record(access('p-1', 1, radiologist));
    await log!.close();
    const db = new Database(join(dataDir(), 'audit.sqlite'), { readonly: true });
    const { id } = db.prepare('SELECT id FROM audit_record').get() as { id: string };
    db.close();
    expect((await t.call('GET', `AuditEvent/${id}`)).status).toBe(200);
  });

  it('copies at start-up the records a crash kept out of the repository, without duplicates', async () => {
    open();
    await record(access('p-1', 1, radiologist));
    await record(access('p-1', 2, radiologist));
    await log!.close();
    // The crash: two more records reached the chain, not the repository; the watermark is behind too.
    open(false);
    await record(access('p-1', 3, radiologist));
    await record(access('p-1', 4, radiologist));
    await log!.close();
    const db = new Database(join(dataDir(), 'audit.sqlite'));
    db.prepare('UPDATE audit_projection SET upto = 0').run();
    db.close();
    expect(await total('patient=p-1')).toBe(2);
    open();
    expect(await log!.caughtUp).toBe(2);
    expect(await total('patient=p-1')).toBe(4);
  });

  it('N concurrent records: N chain records that verify, copied in transactions of sliceSize with searches in between', async () => {
    const transactions: number[] = [];
    const repo = t.repo;
    const original = repo.transaction.bind(repo);
    // After the first slice commits, a search is asked for: it must be answered before the last
    // slice starts (the slices leave the repository's queue and the event loop free in between).
    let slicesStarted = 0;
    let searchAnsweredAfterSlice = -1;
    let probe: Promise<unknown> | undefined;
    repo.transaction = (async (
      fn: Parameters<typeof repo.transaction>[0],
      options?: Parameters<typeof repo.transaction>[1],
    ) => {
      let creates = 0;
      slicesStarted++;
      try {
        return await original(
          async (tx) =>
            fn({
              ...tx,
              create: async (r, o) => {
                creates++;
                return tx.create(r, o);
              },
              createMany: async (rs) => {
                creates += rs.length;
                return tx.createMany!(rs);
              },
            }),
          options,
        );
      } finally {
        transactions.push(creates);
        if (transactions.length === 1)
          probe = t.call('GET', 'Patient?_count=1').then(() => (searchAnsweredAfterSlice = slicesStarted));
      }
    }) as typeof repo.transaction;
    log = openAuditLog({
      dataDir: dataDir(),
      logger: silent,
      repository: repo,
      projection: { intervalMs: 5, maxBatch: 1000, retryMs: 50, sliceSize: 4 },
    });
    await log.caughtUp;
    transactions.length = 0;
    slicesStarted = 0;
    const n = 22;
    const events = Array.from({ length: n }, (_, i) => buildAuditEvents(numbered(i))).flat();
    // All in one turn of the event loop: one group commit.
    await Promise.all(events.map((e) => log!.sink.record(e)));
    await log.close();
    await probe;
    log = undefined;
    const slices = Math.ceil(events.length / 4);
    expect(transactions.reduce((a, b) => a + b, 0)).toBe(events.length);
    expect(Math.max(...transactions)).toBeLessThanOrEqual(4);
    expect(transactions.length).toBe(slices);
    expect(searchAnsweredAfterSlice).toBeGreaterThan(0);
    expect(searchAnsweredAfterSlice).toBeLessThan(slices);
    const total = ((await t.call('GET', 'AuditEvent?_summary=count')).body as { total: number }).total;
    expect(total).toBe(events.length);
    const again = openAuditLog({ dataDir: dataDir(), logger: silent });
    try {
      const verified = await again.verify();
      expect(verified.ok).toBe(true);
      expect(verified.records).toBe(events.length);
    } finally {
      await again.close();
    }
  });
  it('moves the watermark only after the copy is flushed to disk; a failed flush leaves it for the catch-up', async () => {
    const repo = t.repo;
    const flush = repo.flush.bind(repo);
    let failed!: () => void;
    const flushFailed = new Promise<void>((resolve) => (failed = resolve));
    let failures = 1;
    repo.flush = async () => {
      if (failures-- > 0) {
        failed();
        throw new Error('EIO');
      }
      return flush();
    };
    const upto = () => {
      const db = new Database(join(dataDir(), 'audit.sqlite'), { readonly: true });
      try {
        return (db.prepare('SELECT upto FROM audit_projection').get() as { upto: number } | undefined)?.upto ?? 0;
      } finally {
        db.close();
      }
    };
    log = openAuditLog({ dataDir: dataDir(), logger: silent, repository: repo, projection: { ...fast, retryMs: 300 } });
    await log.caughtUp;
    await record(access('p-4', 1, radiologist));
    await flushFailed;
    expect(upto()).toBe(0);
    // The catch-up 300 ms later copies again (the copy already made is skipped) and flushes.
    for (let i = 0; i < 100 && upto() === 0; i++) await new Promise((r) => setTimeout(r, 30));
    await log.close();
    log = undefined;
    expect(upto()).toBe(1);
    expect(await total('patient=p-4')).toBe(1);
  });
});
