import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAuditEvents, openAuditLog, type AuditEvent, type OpenedAuditLog } from '../src/audit/index.js';
import type { AccessRecord } from '../src/audit/balp/access-record.js';
import { GOLDEN_CASES } from '../src/audit/balp/test-support.js';
import { canonicalJson } from '../src/audit/canonical-json.js';
import type { ChainRecord } from '../src/audit/types.js';

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };

/** The records built by the writer thread (audit-entry.ts) against the same build done here. */
describe('audit records built by the writer thread', () => {
  let root: string;
  let log: OpenedAuditLog;
  const rows = () => {
    const db = new Database(join(root, 'data', 'audit.sqlite'), { readonly: true });
    try {
      return db.prepare('SELECT id, recorded, json FROM audit_record ORDER BY seq').all() as {
        id: string;
        recorded: string;
        json: string;
      }[];
    } finally {
      db.close();
    }
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ib-audit-offload-'));
    log = openAuditLog({ dataDir: join(root, 'data'), keyFile: join(root, 'key'), logger: silent });
  });
  afterEach(async () => {
    await log.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('stores every golden access byte for byte as the main thread would build it, in one chain that verifies', async () => {
    const cases = Object.entries(GOLDEN_CASES);
    // All in one turn: one batch, one transaction, entries kept in order.
    await Promise.all(cases.map(([, record]) => log.sink.recordAccess!(record)));
    const stored = rows();
    const expected = cases.flatMap(([name, record]) => buildAuditEvents(record).map((event) => ({ name, event })));
    expect(stored).toHaveLength(expected.length);
    expected.forEach(({ name, event }, i) => {
      const row = stored[i]!;
      const { meta: _meta, ...content } = event;
      expect(row.json, name).toBe(canonicalJson({ ...content, id: event.id ?? row.id }));
      expect(row.recorded, name).toBe(event.recorded);
    });
    expect(await log.verify()).toMatchObject({ ok: true, records: expected.length });
  });

  it('hands the listeners the stored records with their text (what the FHIR copy and syslog need)', async () => {
    const told: ChainRecord[] = [];
    // The listener API of the AuditLog behind the sink.
    (log.sink as unknown as { onCommit(l: (r: ChainRecord[]) => void): void }).onCommit((r) => told.push(...r));
    await log.sink.recordAccess!(GOLDEN_CASES['fhir-search-two-patients']!);
    expect(told.map((r) => ({ id: r.id, json: r.json }))).toEqual(rows().map((r) => ({ id: r.id, json: r.json })));
    expect(told[0]).toMatchObject({ seq: 1, prevHash: '0'.repeat(64), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('fails only the entry that cannot be built; the others of the same batch are stored', async () => {
    const notAnEvent = { resourceType: 'Patient', recorded: '2024-05-01T10:00:00Z' } as unknown as AuditEvent;
    const results = await Promise.allSettled([
      log.sink.recordAccess!(GOLDEN_CASES.context!),
      log.sink.recordAll([buildAuditEvents(GOLDEN_CASES.context!)[0]!, notAnEvent]),
      log.sink.recordAccess!(GOLDEN_CASES['fhir-create']!),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      name: 'TypeError',
      message: 'the audit log takes AuditEvents, not Patient',
    });
    // Nothing of the refused entry (its valid first event neither): all of an access or none.
    expect(rows()).toHaveLength(2);
    expect(await log.verify()).toMatchObject({ ok: true, records: 2 });
  });

  it('records an access holding a value structured clone cannot copy (built on the main thread then), and its batch', async () => {
    const odd = {
      ...GOLDEN_CASES.context!,
      server: { ...GOLDEN_CASES.context!.server, render: () => 'not cloneable' },
    } as AccessRecord;
    await Promise.all([log.sink.recordAccess!(odd), log.sink.recordAccess!(GOLDEN_CASES['fhir-create']!)]);
    const stored = rows();
    expect(stored).toHaveLength(1 + buildAuditEvents(GOLDEN_CASES['fhir-create']!).length);
    const [event] = buildAuditEvents(GOLDEN_CASES.context!);
    expect(stored[0]!.json).toBe(canonicalJson({ ...event, id: stored[0]!.id }));
  });

  it('rejects a record after close, and acknowledges nothing it did not commit', async () => {
    const pending = log.sink.recordAccess!(GOLDEN_CASES.context!);
    await log.close();
    await expect(pending).resolves.toBeUndefined();
    await expect(log.sink.recordAccess!(GOLDEN_CASES.context!)).rejects.toThrow(/closed/);
    expect(rows()).toHaveLength(1);
  });
});
