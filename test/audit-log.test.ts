import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../src/audit/read-only.js';
import { AuditKeyError, openAuditLog, type AuditEvent, type OpenedAuditLog } from '../src/audit/index.js';
import { chainHash } from '../src/audit/chain-hash.js';
import { ChainWriter } from '../src/audit/chain-writer.js';
import { readAuditKey } from '../src/audit/key-file.js';

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };

const event = (n: number): AuditEvent => ({
  resourceType: 'AuditEvent',
  type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
  action: 'R',
  recorded: new Date(Date.UTC(2024, 4, 1, 10, 0, n)).toISOString(),
  outcome: '0',
  agent: [{ requestor: true, who: { display: `client-${n}` } }],
  source: { observer: { display: 'ImagingBridge' } },
  entity: [{ what: { reference: `Patient/p-${n}` } }],
});

interface Row {
  seq: number;
  json: string;
  prev_hash: string;
  hash: string;
}

describe('audit log: a durable, append-only, tamper-evident chain', () => {
  let root: string;
  let dataDir: string;
  let keyFile: string;
  let log: OpenedAuditLog;
  const open = () => (log = openAuditLog({ dataDir, logger: silent }));
  const rows = () => {
    const db = new Database(join(dataDir, 'audit.sqlite'), { readonly: true });
    try {
      return db.prepare('SELECT seq, json, prev_hash, hash FROM audit_record ORDER BY seq').all() as Row[];
    } finally {
      db.close();
    }
  };
  /** What someone with write access to the data directory (but not the key) can do. */
  const tamper = (fn: (db: Database.Database) => void) => {
    const db = new Database(join(dataDir, 'audit.sqlite'));
    db.exec('DROP TRIGGER audit_record_no_update; DROP TRIGGER audit_record_no_delete;');
    fn(db);
    db.close();
  };
  const rechain = (db: Database.Database, fromSeq: number, hash: (prev: string, json: string) => string) => {
    const all = db.prepare('SELECT seq, json, prev_hash, hash FROM audit_record ORDER BY seq').all() as Row[];
    let prev = all.find((r) => r.seq === fromSeq - 1)?.hash ?? '0'.repeat(64);
    for (const r of all.filter((x) => x.seq >= fromSeq)) {
      const h = hash(prev, r.json);
      db.prepare('UPDATE audit_record SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, h, r.seq);
      prev = h;
    }
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ib-audit-'));
    dataDir = join(root, 'data');
    keyFile = `${dataDir}.audit-key`;
    open();
  });
  afterEach(async () => {
    await log.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('stores N records as N rows whose chain verifies', async () => {
    for (let i = 0; i < 20; i++) await log.sink.record(event(i));
    expect(rows()).toHaveLength(20);
    expect(await log.verify()).toMatchObject({ ok: true, records: 20 });
  });

  it('creates the key beside the data directory, readable by the owner only', () => {
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('refuses UPDATE and DELETE on the records with SQLite triggers', async () => {
    await log.sink.record(event(1));
    const db = new Database(join(dataDir, 'audit.sqlite'));
    expect(() => db.prepare("UPDATE audit_record SET json = '{}'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_record').run()).toThrow(/append-only/);
    db.close();
  });

  it('detects an edited record even when every later hash was recomputed with plain SHA-256', async () => {
    for (let i = 0; i < 5; i++) await log.sink.record(event(i));
    await log.close();
    tamper((db) => {
      const r = db.prepare('SELECT json FROM audit_record WHERE seq = 3').get() as { json: string };
      db.prepare('UPDATE audit_record SET json = ? WHERE seq = 3').run(r.json.replace('Patient/p-2', 'Patient/p-99'));
      rechain(db, 3, (prev, json) => createHash('sha256').update(prev).update(json).digest('hex'));
    });
    open();
    expect(await log.verify()).toMatchObject({ ok: false, brokenSeq: 3, records: 2 });
  });

  it('detects an edited record rechained with a wrong key', async () => {
    for (let i = 0; i < 5; i++) await log.sink.record(event(i));
    await log.close();
    tamper((db) => {
      db.prepare("UPDATE audit_record SET json = replace(json, 'client-3', 'client-x') WHERE seq = 4").run();
      rechain(db, 4, (prev, json) => chainHash(Buffer.alloc(32, 7), prev, json));
    });
    open();
    expect(await log.verify()).toMatchObject({ ok: false, brokenSeq: 4 });
  });

  it('detects a deleted record, also when the later records were renumbered', async () => {
    for (let i = 0; i < 5; i++) await log.sink.record(event(i));
    await log.close();
    tamper((db) => db.prepare('DELETE FROM audit_record WHERE seq = 2').run());
    open();
    expect(await log.verify()).toMatchObject({ ok: false, brokenSeq: 2, records: 1 });
    await log.close();
    tamper((db) => {
      db.prepare('UPDATE audit_record SET seq = seq - 1 WHERE seq > 2').run();
      rechain(db, 2, (prev, json) => createHash('sha256').update(prev).update(json).digest('hex'));
    });
    open();
    expect(await log.verify()).toMatchObject({ ok: false, brokenSeq: 2 });
  });

  it('refuses to start when the key file is missing but records exist, with a clear message', async () => {
    await log.sink.record(event(1));
    await log.close();
    rmSync(keyFile);
    expect(() => open()).toThrow(AuditKeyError);
    expect(() => open()).toThrow(/audit key file .* is missing but the audit log holds records/);
    writeFileSync(keyFile, 'not a key');
    expect(() => open()).toThrow(/does not hold a 256-bit hex key/);
    rmSync(keyFile);
    log = openAuditLog({ dataDir: join(root, 'other'), logger: silent }); // afterEach closes this one
  });

  it('commits 100 concurrent records durably in a linear chain, sharing transactions', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.sink.record(event(i))));
    const all = rows();
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (let i = 1; i < all.length; i++) expect(all[i]!.prev_hash).toBe(all[i - 1]!.hash);
    expect(await log.verify()).toMatchObject({ ok: true, records: 100 });
  });

  it('keeps one linear chain when two writers (two opened logs, two threads) share the file', async () => {
    const other = openAuditLog({ dataDir, logger: silent });
    try {
      await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? other : log).sink.record(event(i))));
    } finally {
      await other.close();
    }
    const all = rows();
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(await log.verify()).toMatchObject({ ok: true, records: 60 });
    await log.close();
    open();
    expect(await log.verify()).toMatchObject({ ok: true, records: 60, checkpoint: { seq: 60 } });
  });

  it('continues the chain across reopenings', async () => {
    await log.sink.record(event(1));
    await log.close();
    open();
    await log.sink.record(event(2));
    expect(await log.verify()).toMatchObject({ ok: true, records: 2 });
  });

  it('keeps every acknowledged record after the process is killed', async () => {
    await log.close();
    // A child records, prints each acknowledgement, and is killed (SIGKILL) mid-stream.
    const script = `
      const { openAuditLog } = await import(${JSON.stringify(new URL('../src/audit/index.ts', import.meta.url).pathname)});
      const log = openAuditLog({ dataDir: ${JSON.stringify(dataDir)}, logger: { error() {}, warn() {}, info() {} } });
      let n = 0;
      for (let i = 0; i < 400; i++) {
        log.sink.record((${event.toString().replace(/\n/g, ' ')})(i)).then(() => { n++; if (n === 150) { process.stdout.write(String(n)); process.kill(process.pid, 'SIGKILL'); } });
      }`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const acknowledged = Number(child.stdout);
    expect(acknowledged).toBe(150);
    open();
    expect(await log.verify()).toMatchObject({ ok: true });
    expect(rows().length).toBeGreaterThanOrEqual(acknowledged);
  });

  it('rejects a second record with an id already in the chain, and records the others of the batch', async () => {
    const results = await Promise.allSettled([
      log.sink.record({ ...event(1), id: 'dup' }),
      log.sink.record({ ...event(2), id: 'dup' }),
      log.sink.record(event(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await log.verify()).toMatchObject({ ok: true, records: 2 });
  });

  it('keeps a signed checkpoint of the head beside the key, and detects the removal of the last records', async () => {
    for (let i = 0; i < 10; i++) await log.sink.record(event(i));
    await log.close();
    const checkpoint = JSON.parse(readFileSync(`${keyFile}.checkpoint`, 'utf8')) as {
      seq: number;
      hash: string;
      hmac: string;
    };
    expect(checkpoint).toMatchObject({ seq: 10, hash: rows()[9]!.hash });
    expect(statSync(`${keyFile}.checkpoint`).mode & 0o777).toBe(0o600);
    open();
    expect(await log.verify()).toMatchObject({ ok: true, records: 10, checkpoint: { seq: 10 } });
    await log.close();
    tamper((db) => db.prepare('DELETE FROM audit_record WHERE seq > 7').run());
    const alarms: string[] = [];
    log = openAuditLog({
      dataDir,
      logger: { ...silent, error: (_: unknown, msg?: string) => void alarms.push(msg ?? '') },
    });
    expect(await log.verify()).toMatchObject({
      ok: false,
      records: 7,
      brokenSeq: 8,
      reason: expect.stringMatching(
        /ends at seq 7 but the checkpoint .* records seq 10: the last 3 records were removed \(truncation\)/,
      ),
    });
    // The server goes on recording, but the checkpoint stays as evidence: the records that now
    // hold seq 8–10 are not the ones it signed.
    for (let i = 0; i < 5; i++) await log.sink.record(event(100 + i));
    await expect.poll(() => alarms.join('\n')).toMatch(/audit chain TRUNCATED/);
    expect(await log.verify()).toMatchObject({
      ok: false,
      brokenSeq: 10,
      reason: expect.stringMatching(/record 10 differs from the checkpoint/),
    });
    await log.close();
    expect(JSON.parse(readFileSync(`${keyFile}.checkpoint`, 'utf8'))).toEqual(checkpoint);
  });

  it('fails verify when the checkpoint file is missing (a running writer writes a new one, with an alarm); refuses one signed with another key', async () => {
    for (let i = 0; i < 3; i++) await log.sink.record(event(i));
    await log.close();
    const signed = readFileSync(`${keyFile}.checkpoint`, 'utf8');
    rmSync(`${keyFile}.checkpoint`);
    expect(await verifyAuditLog(dataDir)).toMatchObject({
      ok: false,
      records: 3,
      reason: expect.stringMatching(
        /there is no checkpoint file .*, yet the chain holds 3 records: nothing shows that its last records were not removed/,
      ),
    });
    const alarms: string[] = [];
    log = openAuditLog({
      dataDir,
      logger: { ...silent, error: (_: unknown, msg?: string) => void alarms.push(msg ?? '') },
    });
    // The writer thread reports it once started (from the sources, through tsx: seconds on a busy machine).
    await expect
      .poll(() => alarms.join('\n'), { timeout: 20_000 })
      .toMatch(/audit checkpoint .* is MISSING while the chain holds 3 records: a new one is written at the head/);
    expect(await log.verify()).toMatchObject({ ok: true, records: 3, checkpoint: { seq: 3 } });
    await log.close();
    writeFileSync(
      `${keyFile}.checkpoint`,
      signed.replace(/"hmac":"[0-9a-f]/, (m) => m.slice(0, -1) + (m.endsWith('0') ? '1' : '0')),
    );
    open();
    expect(await log.verify()).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/checkpoint file .* is not signed with this key/),
    });
  });

  it('fails verify when the checkpoint is older than the chain (records appended without moving it), after waiting for a running writer', async () => {
    for (let i = 0; i < 3; i++) await log.sink.record(event(i));
    await log.close();
    const behind = readFileSync(`${keyFile}.checkpoint`, 'utf8');
    open();
    for (let i = 3; i < 5; i++) await log.sink.record(event(i));
    await log.close();
    writeFileSync(`${keyFile}.checkpoint`, behind); // as if the last two were appended by someone with the key but not the writer
    const started = Date.now();
    expect(await verifyAuditLog(dataDir)).toMatchObject({
      ok: false,
      records: 5,
      brokenSeq: 4,
      reason: expect.stringMatching(
        /the checkpoint .* is older than the chain: it records seq 3 but the chain holds 5, so 2 records are covered by no checkpoint/,
      ),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('rejects the records a dead writer thread had not confirmed, then starts a new thread', async () => {
    await log.close();
    const errors: string[] = [];
    const writer = new ChainWriter(
      { file: join(dataDir, 'audit.sqlite'), key: readAuditKey(keyFile), checkpointFile: `${keyFile}.checkpoint` },
      { ...silent, error: (_: unknown, msg?: string) => void errors.push(msg ?? '') },
    );
    try {
      const lost = writer.append([
        { records: [{ id: 'lost', recorded: '2024-05-01T10:00:00Z', json: '{"id":"lost"}' }] },
      ]);
      void writer.thread!.terminate(); // as if the thread died before it committed
      await expect(lost).rejects.toThrow(/audit writer thread stopped .* the record may not be stored/);
      expect(errors).toEqual([expect.stringMatching(/audit writer thread stopped/)]);
      const [stored] = await writer.append([
        { records: [{ id: 'kept', recorded: '2024-05-01T10:00:00Z', json: '{"id":"kept"}' }] },
      ]);
      expect(stored).toMatchObject({ records: [{ seq: 1, id: 'kept' }] });
      // A thread that keeps dying: after five deaths within a minute, appends are refused clearly.
      for (let i = 0; i < 4; i++) {
        const doomed = writer.append([
          { records: [{ id: `d${i}`, recorded: '2024-05-01T10:00:00Z', json: `{"id":"d${i}"}` }] },
        ]);
        void writer.thread!.terminate();
        await expect(doomed).rejects.toThrow(/stopped/);
      }
      await expect(
        writer.append([{ records: [{ id: 'x', recorded: '2024-05-01T10:00:00Z', json: '{"id":"x"}' }] }]),
      ).rejects.toThrow(/failed 5 times within a minute/);
    } finally {
      await writer.close();
    }
    open();
    expect(await log.verify()).toMatchObject({ ok: true });
  });

  it('rests the writer thread when idle and starts a new one for the next record, in order, with no alarm', async () => {
    await log.close();
    const errors: string[] = [];
    const writer = new ChainWriter(
      { file: join(dataDir, 'audit.sqlite'), key: readAuditKey(keyFile), checkpointFile: `${keyFile}.checkpoint` },
      { ...silent, error: (_: unknown, msg?: string) => void errors.push(msg ?? '') },
      { idleMs: 200 },
    );
    const record = (id: string) =>
      writer.append([{ records: [{ id, recorded: '2024-05-01T10:00:00Z', json: `{"id":"${id}"}` }] }]);
    try {
      expect(await record('a')).toMatchObject([{ records: [{ seq: 1, id: 'a' }] }]);
      const first = writer.thread;
      expect(first).toBeDefined();
      // Watched closely, so that the next records arrive while the resting thread is still finishing.
      while (writer.thread) await new Promise((r) => setTimeout(r, 2));
      const later = await Promise.all([record('b'), record('c'), record('d')]);
      expect(later.map(([r]) => r)).toMatchObject([
        { records: [{ seq: 2, id: 'b' }] },
        { records: [{ seq: 3, id: 'c' }] },
        { records: [{ seq: 4, id: 'd' }] },
      ]);
      expect(writer.thread).toBeDefined();
      expect(writer.thread).not.toBe(first);
      await expect.poll(() => writer.thread, { timeout: 10_000 }).toBeUndefined();
      expect(errors).toEqual([]);
    } finally {
      await writer.close();
    }
    open();
    // The resting thread moved the signed checkpoint to the head before it ended.
    expect(await log.verify()).toMatchObject({ ok: true, records: 4 });
    expect(rows().map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });
});
